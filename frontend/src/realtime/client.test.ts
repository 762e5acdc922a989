import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { backoffDelay, CLOSE_UNAUTHENTICATED, RealtimeClient, RealtimeError, type Envelope } from "./client";

class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: Array<{ type: string; request_id: string; data: Record<string, unknown> }> = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  // Test helpers: what the server would do.
  serverOpen() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverDrop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  push(type: string, data: Record<string, unknown>, id = `${type}-${Math.random()}`, extra: Record<string, unknown> = {}) {
    this.onmessage?.({ data: JSON.stringify({ v: 1, type, id, ts: new Date().toISOString(), data, ...extra }) });
  }
  /** A durable event at `offset` of the user's stream. */
  pushAt(offset: number, type = "booking.confirmed", epoch = "e1") {
    this.push(type, { id: offset }, `${type}-${epoch}-${offset}`, { offset, epoch });
  }
  sentOfType(type: string) {
    return this.sent.filter((m) => m.type === type);
  }
}

const latest = () => FakeSocket.instances[FakeSocket.instances.length - 1];

function makeClient(random = () => 0.5) {
  return new RealtimeClient({
    url: "ws://test/ws/",
    WebSocketImpl: FakeSocket,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random,
    pingIntervalMs: 0,
    requestTimeoutMs: 5000,
  });
}

beforeEach(() => {
  FakeSocket.instances = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("backoffDelay", () => {
  it("doubles per attempt, caps at the maximum and jitters within the upper half", () => {
    expect(backoffDelay(0, 100, 1000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 1000, () => 0.999999)).toBe(100);
    expect(backoffDelay(1, 100, 1000, () => 0)).toBe(100);
    expect(backoffDelay(3, 100, 1000, () => 0)).toBe(400);
    expect(backoffDelay(10, 100, 1000, () => 0)).toBe(500);
    expect(backoffDelay(10, 100, 1000, () => 0.999999)).toBe(1000);
  });
});

describe("RealtimeClient", () => {
  it("connects once and delivers events to subscribers by type", () => {
    const client = makeClient();
    const created: Envelope[] = [];
    const all: string[] = [];
    client.on("booking.created", (e) => created.push(e));
    client.on("*", (e) => all.push(e.type));
    client.start();
    client.start();
    expect(FakeSocket.instances).toHaveLength(1);
    latest().serverOpen();
    expect(client.status).toBe("open");
    latest().push("booking.created", { consultation: { id: 7 } });
    latest().push("notification.created", { id: 1 });
    expect(created).toHaveLength(1);
    expect(created[0].data).toEqual({ consultation: { id: 7 } });
    expect(all).toEqual(["booking.created", "notification.created"]);
  });

  it("reconnects with growing delays after drops and resets them after a good connection", () => {
    const client = makeClient(() => 0); // lower bound of the jitter window: delays 50, 100, 200...
    client.start();
    latest().serverDrop();
    expect(client.status).toBe("reconnecting");
    vi.advanceTimersByTime(49);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(2);
    latest().serverDrop();
    vi.advanceTimersByTime(99);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(3);
    latest().serverDrop();
    vi.advanceTimersByTime(200);
    expect(FakeSocket.instances).toHaveLength(4);
    latest().serverOpen();
    latest().serverDrop();
    vi.advanceTimersByTime(50); // back to the first delay
    expect(FakeSocket.instances).toHaveLength(5);
  });

  it("spreads reconnects of many clients (jitter) instead of stampeding", () => {
    const seq = [0.1, 0.9];
    const delays = seq.map((r) => backoffDelay(4, 100, 10_000, () => r));
    expect(delays[0]).not.toBe(delays[1]);
  });

  it("does not reconnect after the server refuses the session (4401)", () => {
    const client = makeClient();
    const events: string[] = [];
    client.on("session.unauthenticated", (e) => events.push(e.type));
    client.start();
    latest().serverOpen();
    latest().serverDrop(CLOSE_UNAUTHENTICATED);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(client.status).toBe("closed");
    expect(events).toEqual(["session.unauthenticated"]);
  });

  it("stop() closes the socket and never reconnects", () => {
    const client = makeClient();
    client.start();
    latest().serverOpen();
    client.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(client.status).toBe("closed");
  });

  it("resumes from the last seen seq per conversation after a reconnect", () => {
    const client = makeClient();
    client.start();
    latest().serverOpen();
    expect(latest().sentOfType("chat.resume")[0].data).toEqual({ cursors: {} }); // nothing seen yet
    latest().push("chat.message", { conversation_id: 3, message: { id: 30, seq: 1, text: "a" } });
    latest().push("chat.message", { conversation_id: 3, message: { id: 31, seq: 2, text: "b" } });
    client.noteMessage(9, 14); // loaded over REST by a page
    client.noteMessage(11, 0); // an empty conversation that is open on screen
    latest().serverDrop();
    vi.advanceTimersByTime(1000);
    latest().serverOpen();
    const resume = latest().sentOfType("chat.resume");
    expect(resume).toHaveLength(1);
    expect(resume[0].data).toEqual({ cursors: { "3": 2, "9": 14, "11": 0 } });
  });

  it("replays missed messages from chat.resume.ok in order, skipping ones already seen", () => {
    const client = makeClient();
    const got: Array<[unknown, unknown]> = [];
    client.on("chat.message", (e) => got.push([e.data.conversation_id, e.data.seq]));
    client.start();
    latest().serverOpen();
    latest().push("chat.message", { conversation_id: 3, id: 30, seq: 1 });
    latest().serverDrop();
    vi.advanceTimersByTime(1000);
    latest().serverOpen();
    latest().push("chat.resume.ok", {
      request_id: latest().sentOfType("chat.resume")[0].request_id,
      messages: [
        { id: 33, seq: 3, conversation_id: 3 },
        { id: 30, seq: 1, conversation_id: 3 },
        { id: 32, seq: 2, conversation_id: 3 },
      ],
      has_more: false,
    });
    // The live copy of seq 3 arriving after the replay is a duplicate.
    latest().push("chat.message", { conversation_id: 3, id: 33, seq: 3 });
    expect(got).toEqual([
      [3, 1],
      [3, 2],
      [3, 3],
    ]);
    expect(client.resumeCursors).toEqual({ "3": 3 });
  });

  it("asks again from the advanced cursors when the server cut the missed page (has_more)", () => {
    const client = makeClient();
    client.start();
    latest().serverOpen();
    client.noteMessage(4, 10);
    latest().push("chat.resume.ok", {
      messages: [
        { id: 1, seq: 11, conversation_id: 4 },
        { id: 2, seq: 12, conversation_id: 4 },
      ],
      has_more: true,
    });
    const resumes = latest().sentOfType("chat.resume");
    expect(resumes).toHaveLength(2);
    expect(resumes[1].data).toEqual({ cursors: { "4": 12 } });
  });

  it("resumes by rev once known and applies missed edits and deletes in rev order, once", () => {
    const client = makeClient();
    const got: Array<[string, unknown, unknown]> = [];
    for (const type of ["chat.message", "chat.message_edited", "chat.message_deleted"]) {
      client.on(type, (e) => got.push([e.type, e.data.id, e.data.rev]));
    }
    client.start();
    latest().serverOpen();
    client.noteMessage(3, 0); // the thread is open, still empty
    latest().push("chat.resume.ok", {
      request_id: latest().sentOfType("chat.resume")[0].request_id,
      messages: [],
      has_more: false,
      conversations: [
        { conversation_id: 3, last_seq: 0, last_rev: 0 },
        { conversation_id: 8, last_seq: 40, last_rev: 52 }, // not followed: no cursor made up
      ],
    });
    latest().push("chat.message", { conversation_id: 3, id: 30, seq: 1, rev: 1, text: "a" });
    latest().push("chat.message", { conversation_id: 3, id: 31, seq: 2, rev: 2, text: "b" });
    latest().push("chat.message_edited", { conversation_id: 3, id: 30, seq: 1, rev: 3, text: "a!" });
    expect(client.resumeRevs).toEqual({ "3": 3 });
    latest().serverDrop();
    vi.advanceTimersByTime(1000);
    latest().serverOpen();
    const [resume] = latest().sentOfType("chat.resume");
    expect(resume.data).toEqual({ cursors: { "3": { seq: 2, rev: 3 } } });
    got.length = 0;
    latest().push("chat.resume.ok", {
      request_id: resume.request_id,
      messages: [
        { conversation_id: 3, id: 32, seq: 3, rev: 4, text: "new", deleted: false },
        { conversation_id: 3, id: 30, seq: 1, rev: 5, text: "a!!", deleted: false },
        { conversation_id: 3, id: 31, seq: 2, rev: 6, text: "", deleted: true },
      ],
      has_more: false,
      conversations: [{ conversation_id: 3, last_seq: 3, last_rev: 7 }],
    });
    // Late live copies of changes the reply already applied are dropped.
    latest().push("chat.message", { conversation_id: 3, id: 32, seq: 3, rev: 4, text: "new" });
    latest().push("chat.message_edited", { conversation_id: 3, id: 30, seq: 1, rev: 5, text: "a!!" });
    latest().push("chat.message_edited", { conversation_id: 3, id: 31, seq: 2, rev: 2, text: "old" });
    expect(got).toEqual([
      ["chat.message", 32, 4],
      ["chat.message_edited", 30, 5],
      ["chat.message_deleted", 31, 6],
    ]);
    expect(client.resumeRevs).toEqual({ "3": 7 });
    expect(client.resumeCursors).toEqual({ "3": 3 });
  });

  it("does not move the rev cursor past a live change it has not seen", () => {
    const client = makeClient();
    client.start();
    latest().serverOpen();
    client.noteMessage(5, 10, null, 20);
    latest().push("chat.message_edited", { conversation_id: 5, id: 1, seq: 2, rev: 21 });
    latest().push("chat.message_deleted", { conversation_id: 5, id: 2, seq: 3, rev: 23 }); // 22 is late
    expect(client.resumeRevs).toEqual({ "5": 21 });
    latest().serverDrop();
    vi.advanceTimersByTime(1000);
    latest().serverOpen();
    expect(latest().sentOfType("chat.resume")[0].data).toEqual({ cursors: { "5": { seq: 10, rev: 21 } } });
    latest().push("chat.message", { conversation_id: 5, id: 3, seq: 11, rev: 22 });
    expect(client.resumeRevs).toEqual({ "5": 23 });
  });

  it("asks again from the highest rev of a cut page", () => {
    const client = makeClient();
    client.start();
    latest().serverOpen();
    client.noteMessage(4, 10, null, 10);
    latest().serverDrop();
    vi.advanceTimersByTime(1000);
    latest().serverOpen();
    latest().push("chat.resume.ok", {
      request_id: latest().sentOfType("chat.resume")[0].request_id,
      messages: [
        { id: 1, seq: 11, rev: 11, conversation_id: 4 },
        { id: 2, seq: 3, rev: 13, conversation_id: 4 },
      ],
      has_more: true,
      conversations: [{ conversation_id: 4, last_seq: 20, last_rev: 30 }],
    });
    const resumes = latest().sentOfType("chat.resume");
    expect(resumes).toHaveLength(2);
    expect(resumes[1].data).toEqual({ cursors: { "4": { seq: 11, rev: 13 } } });
  });

  it("drops an envelope delivered twice and a message seen under the same id", () => {
    const client = makeClient();
    const types: string[] = [];
    client.on("*", (e) => types.push(e.type));
    client.start();
    latest().serverOpen();
    latest().push("booking.created", { id: 1 }, "env-1");
    latest().push("booking.created", { id: 1 }, "env-1");
    latest().push("chat.message", { conversation_id: 1, message: { id: 5, seq: 4 } }, "env-2");
    latest().push("chat.message", { conversation_id: 1, message: { id: 5, seq: 4 } }, "env-3");
    expect(types).toEqual(["booking.created", "chat.message"]);
  });

  it("keeps the newest unread count when an older one arrives after it", () => {
    const client = makeClient();
    const totals: unknown[] = [];
    client.on("chat.unread", (e) => totals.push(e.data.total));
    client.start();
    latest().serverOpen();
    latest().push("chat.unread", { total: 2, conversations: { "7": 2 }, version: 41 }, "u-2");
    // Counted first (version 40) but sent later by another server process: stale.
    latest().push("chat.unread", { total: 1, conversations: { "7": 1 }, version: 40 }, "u-1");
    latest().push("chat.unread", { total: 0, conversations: {}, version: 42 }, "u-3");
    expect(totals).toEqual([2, 0]);
  });

  it("matches replies to requests by request_id and rejects on error events", async () => {
    const client = makeClient();
    client.start();
    latest().serverOpen();
    const ok = client.request("chat.read", { conversation_id: 1, up_to_seq: 4 });
    const bad = client.request("chat.send", { conversation_id: 1, text: "" });
    const [readReq] = latest().sentOfType("chat.read");
    const [sendReq] = latest().sentOfType("chat.send");
    latest().push("chat.read.ok", { request_id: readReq.request_id, unread: 0 });
    latest().push("error", { request_id: sendReq.request_id, code: "empty", message: "Write something." });
    await expect(ok).resolves.toMatchObject({ unread: 0 });
    const err = await bad.catch((e) => e);
    expect(err).toBeInstanceOf(RealtimeError);
    expect(err.code).toBe("empty");
    expect(err.message).toBe("Write something.");
  });

  it("queues requests made while offline and re-sends unanswered idempotent sends after a reconnect", async () => {
    const client = makeClient();
    client.start();
    // Not open yet: the request waits.
    const sending = client.request("chat.send", { conversation_id: 1, text: "hi", client_id: "c1" }, { resend: true });
    const reading = client.request("chat.read", { conversation_id: 1 });
    latest().serverOpen();
    expect(latest().sentOfType("chat.send")).toHaveLength(1);
    latest().serverDrop();
    // The non-idempotent request fails at once rather than hanging.
    await expect(reading).rejects.toMatchObject({ code: "disconnected" });
    vi.advanceTimersByTime(1000);
    latest().serverOpen();
    const again = latest().sentOfType("chat.send");
    expect(again).toHaveLength(1);
    expect(again[0].data.client_id).toBe("c1");
    latest().push("chat.send.ok", { request_id: again[0].request_id, message: { id: 1, seq: 1 } });
    await expect(sending).resolves.toMatchObject({ message: { id: 1 } });
  });

  it("queues plain sends while offline but drops ephemeral ones", () => {
    const client = makeClient();
    client.start();
    client.send("chat.typing", { conversation_id: 1, is_typing: true }, { queue: false });
    client.send("custom.note", { n: 1 });
    latest().serverOpen();
    expect(latest().sentOfType("chat.typing")).toHaveLength(0);
    expect(latest().sentOfType("custom.note")).toHaveLength(1);
  });

  it("times out a request the server never answers", async () => {
    const client = makeClient();
    client.start();
    latest().serverOpen();
    const pending = client.request("chat.read", {});
    vi.advanceTimersByTime(5000);
    await expect(pending).rejects.toMatchObject({ code: "timeout" });
  });

  it("keeps delivering to other handlers when one throws", () => {
    const client = makeClient();
    const seen: string[] = [];
    client.on("booking.created", () => {
      throw new Error("page bug");
    });
    client.on("booking.created", (e) => seen.push(e.type));
    client.start();
    latest().serverOpen();
    latest().push("booking.created", {});
    expect(seen).toEqual(["booking.created"]);
    expect(() => vi.runOnlyPendingTimers()).toThrow("page bug");
  });

  it("reconnects when a silent connection misses its heartbeat", () => {
    const client = new RealtimeClient({
      url: "ws://test/ws/",
      WebSocketImpl: FakeSocket,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 0,
      pingIntervalMs: 1000,
    });
    client.start();
    latest().serverOpen();
    vi.advanceTimersByTime(1000);
    expect(latest().sentOfType("ping")).toHaveLength(1);
    vi.advanceTimersByTime(2000); // no pong: dead
    vi.advanceTimersByTime(100);
    expect(FakeSocket.instances.length).toBeGreaterThanOrEqual(2);
    client.stop();
  });

  it("resumes the stream after the last handled offset and acknowledges what it handled", () => {
    const client = makeClient();
    const seen: number[] = [];
    client.on("*", (e) => {
      if (typeof e.offset === "number") seen.push(e.offset);
    });
    client.start();
    expect(latest().url).toBe("ws://test/ws/"); // no position yet: a fresh start
    latest().serverOpen();
    latest().push("session.ready", { user_id: 1, stream: { epoch: "e1", offset: 4 }, replayed: 0, resync: true });
    latest().pushAt(5);
    latest().pushAt(6);
    latest().pushAt(6); // the same offset twice is handled once
    expect(seen).toEqual([5, 6]);
    vi.advanceTimersByTime(300);
    expect(latest().sentOfType("stream.ack").map((m) => m.data)).toEqual([{ epoch: "e1", offset: 6 }]);

    latest().serverDrop();
    vi.advanceTimersByTime(100);
    expect(latest().url).toBe("ws://test/ws/?epoch=e1&offset=6");
    latest().serverOpen();
    latest().pushAt(7); // replayed by the server before session.ready
    latest().push("session.ready", { user_id: 1, stream: { epoch: "e1", offset: 7 }, replayed: 1, resync: false });
    expect(seen).toEqual([5, 6, 7]);
    expect(client.streamPosition).toEqual({ epoch: "e1", offset: 7 });
  });

  it("follows a new epoch announced by stream.reset", () => {
    const client = makeClient();
    const types: string[] = [];
    client.on("*", (e) => types.push(e.type));
    client.start();
    latest().serverOpen();
    latest().push("session.ready", { user_id: 1, stream: { epoch: "e1", offset: 40 }, replayed: 0, resync: true });
    latest().push("stream.reset", { stream: { epoch: "e2", offset: 0 } });
    latest().pushAt(1, "booking.cancelled", "e2"); // offset 1 of the new epoch is new
    expect(types).toEqual(["session.ready", "stream.reset", "booking.cancelled"]);
    expect(client.streamPosition).toEqual({ epoch: "e2", offset: 1 });
  });
});
