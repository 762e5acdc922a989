import { describe, expect, it } from "vitest";

import { groupMessages, lastSeq, optimisticMessage, receiptFor, receiptMarkers, upsertMessage, type ThreadMessage } from "./chat";

function stored(seq: number, extra: Partial<ThreadMessage> = {}): ThreadMessage {
  return {
    conversation_id: 1,
    id: 100 + seq,
    seq,
    rev: seq,
    client_id: `c${seq}`,
    sender_id: 7,
    kind: "text",
    text: `m${seq}`,
    reply_to: null,
    attachment: null,
    created_at: "2026-01-01T10:00:00Z",
    edited_at: null,
    deleted: false,
    deleted_at: null,
    read_at: null,
    ...extra,
  };
}

describe("upsertMessage", () => {
  it("keeps messages in seq order whatever order they arrive in", () => {
    let list: ThreadMessage[] = [];
    for (const seq of [3, 1, 2]) list = upsertMessage(list, stored(seq));
    expect(list.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("replaces the optimistic copy with the stored message (matched by client_id)", () => {
    const pending = optimisticMessage({ conversationId: 1, senderId: 7, text: "hi", clientId: "abc", replyTo: null });
    let list = upsertMessage([stored(1)], pending);
    expect(list.map((m) => m.pending)).toEqual([undefined, "sending"]);
    list = upsertMessage(list, stored(2, { client_id: "abc", text: "hi" }));
    expect(list).toHaveLength(2);
    expect(list[1]).toMatchObject({ id: 102, seq: 2 });
    expect(list[1].pending).toBeUndefined();
    // The same message heard again (live event after the ack) changes nothing.
    list = upsertMessage(list, stored(2, { client_id: "abc", text: "hi" }));
    expect(list).toHaveLength(2);
  });

  it("never lets a late optimistic update overwrite the stored message", () => {
    const list = upsertMessage([stored(5, { client_id: "x" })], { ...stored(5, { client_id: "x" }), id: -1, pending: "sending", progress: 0.5 });
    expect(list[0].pending).toBeUndefined();
    expect(list[0].id).toBe(105);
  });

  it("applies edits and deletions by id", () => {
    let list = [stored(1), stored(2)];
    list = upsertMessage(list, stored(2, { text: "edited", edited_at: "2026-01-01T10:05:00Z" }));
    list = upsertMessage(list, stored(1, { text: "", deleted: true }));
    expect(list.map((m) => [m.text, m.deleted])).toEqual([
      ["", true],
      ["edited", false],
    ]);
  });
});

describe("receiptFor", () => {
  it("goes sending → sent → read as the other side's read cursor passes", () => {
    const pending = optimisticMessage({ conversationId: 1, senderId: 7, text: "x", clientId: "k", replyTo: null });
    expect(receiptFor(pending, 0)).toBe("sending");
    expect(receiptFor({ ...pending, pending: "failed" }, 0)).toBe("failed");
    expect(receiptFor(stored(4), 3)).toBe("sent");
    expect(receiptFor(stored(4), 4)).toBe("read");
    expect(receiptFor(stored(4, { read_at: "2026-01-01T11:00:00Z" }), 0)).toBe("read");
  });
});

describe("lastSeq", () => {
  it("ignores messages still on their way", () => {
    const pending = optimisticMessage({ conversationId: 1, senderId: 7, text: "x", clientId: "k", replyTo: null });
    expect(lastSeq([stored(1), stored(2), pending])).toBe(2);
  });
});

describe("groupMessages", () => {
  const day = (iso: string) => iso.slice(0, 10);
  it("groups consecutive messages of one sender within the same minute", () => {
    const list = [
      stored(1, { sender_id: 1, created_at: "2026-01-01T10:00:05Z" }),
      stored(2, { sender_id: 1, created_at: "2026-01-01T10:00:40Z" }),
      stored(3, { sender_id: 2, created_at: "2026-01-01T10:00:50Z" }),
      stored(4, { sender_id: 2, created_at: "2026-01-01T10:01:10Z" }),
      stored(5, { sender_id: 1, created_at: "2026-01-01T10:01:20Z" }),
    ];
    const groups = groupMessages(list, day);
    expect(groups.map((g) => g.messages.map((m) => m.seq))).toEqual([[1, 2], [3], [4], [5]]);
    expect(groups.map((g) => g.senderId)).toEqual([1, 2, 2, 1]);
  });

  it("starts a new group on a new day", () => {
    const list = [
      stored(1, { sender_id: 1, created_at: "2026-01-01T10:00:05Z" }),
      stored(2, { sender_id: 1, created_at: "2026-01-02T10:00:05Z" }),
    ];
    expect(groupMessages(list, day).map((g) => g.day)).toEqual(["2026-01-01", "2026-01-02"]);
  });
});

describe("receiptMarkers", () => {
  it("puts Seen on the newest read message of mine and Sent on a newer unread one", () => {
    const list = [stored(1, { sender_id: 7 }), stored(2, { sender_id: 9 }), stored(3, { sender_id: 7 }), stored(4, { sender_id: 7 })];
    expect(receiptMarkers(list, 7, 3)).toEqual({ seen: 3, sent: 4 });
    expect(receiptMarkers(list, 7, 4)).toEqual({ seen: 4, sent: 0 });
    expect(receiptMarkers(list, 7, 0)).toEqual({ seen: 0, sent: 4 });
  });

  it("ignores pending messages and the other side's messages", () => {
    const list = [stored(1, { sender_id: 7 }), { ...stored(2, { sender_id: 7 }), pending: "sending" as const }, stored(3, { sender_id: 9 })];
    expect(receiptMarkers(list, 7, 3)).toEqual({ seen: 1, sent: 0 });
  });
});
