import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { latestSocket, ME, realtimeWrapper } from "../../test/realtime";
import { conversation, message } from "./fixtures";
import { useChatThread } from "./useChatThread";

let calls: ReturnType<typeof mockFetch>;
let olderPage = { results: [message(1)], has_more: false, last_seq: 3, last_rev: 3 };

beforeEach(() => {
  olderPage = { results: [message(1)], has_more: false, last_seq: 3, last_rev: 3 };
  calls = mockFetch((url, { method, body }) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/consultations/chat/7/") return { status: 200, body: conversation() };
    if (url.pathname === "/api/v1/consultations/chat/7/messages/") {
      if (url.searchParams.get("before")) return { status: 200, body: olderPage };
      return { status: 200, body: { results: [message(2), message(3)], has_more: true, last_seq: 3, last_rev: 3 } };
    }
    if (url.pathname === "/api/v1/consultations/chat/messages/103/" && method === "PATCH")
      return { status: 200, body: message(3, { text: (body as { text: string }).text, edited_at: "2026-01-01T10:00:00Z" }) };
    if (url.pathname === "/api/v1/consultations/chat/7/archive/" && method === "POST")
      return { status: 200, body: conversation({ status: "archived" }) };
    if (url.pathname === "/api/v1/consultations/chat/7/read/") return { status: 200, body: { seq: 3 } };
  });
});

async function renderThread(onLiveMessage = vi.fn()) {
  const { Wrapper } = realtimeWrapper();
  const view = renderHook(() => useChatThread(7, ME.id, { onLiveMessage }), { wrapper: Wrapper });
  await waitFor(() => expect(view.result.current.loading).toBe(false));
  await waitFor(() => expect(latestSocket()).toBeDefined());
  act(() => latestSocket().accept());
  return { ...view, onLiveMessage };
}

describe("useChatThread", () => {
  it("loads the conversation with its newest page and the other person's read mark", async () => {
    const { result } = await renderThread();
    expect(result.current.conversation?.other_participant.name).toBe("Amélie");
    expect(result.current.messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(result.current.hasOlder).toBe(true);
    expect(result.current.otherRead).toBe(2);
    expect(calls.find((c) => c.path.endsWith("/messages/"))).toBeDefined();
  });

  it("resumes after a reconnect from the newest message it loaded", async () => {
    await renderThread();
    act(() => latestSocket().drop());
    await waitFor(() => expect(latestSocket().readyState).toBe(0));
    act(() => latestSocket().accept());
    const resume = latestSocket().framesOfType("chat.resume")[0];
    expect(resume.data.cursors).toEqual({ "7": { seq: 3, rev: 3 } });
  });

  it("shows live messages for this conversation only and tells the view who sent them", async () => {
    const { result, onLiveMessage } = await renderThread();
    act(() => latestSocket().push("chat.typing", { conversation_id: 7, user_id: 9, is_typing: true }));
    expect(result.current.typing).toBe(true);
    act(() => latestSocket().push("chat.message", message(4, { conversation_id: 8, id: 999 })));
    act(() => latestSocket().push("chat.message", message(4)));
    expect(result.current.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(onLiveMessage).toHaveBeenCalledTimes(1);
    expect(onLiveMessage).toHaveBeenCalledWith(true);
    // A message from the other person ends their typing indicator.
    expect(result.current.typing).toBe(false);
  });

  it("loads older messages before the oldest one shown, then says where history starts", async () => {
    const { result } = await renderThread();
    const beforePrepend = vi.fn(() => expect(result.current.messages).toHaveLength(2));
    await act(() => result.current.loadOlder(beforePrepend));
    expect(calls.some((c) => c.path === "/api/v1/consultations/chat/7/messages/")).toBe(true);
    expect(beforePrepend).toHaveBeenCalledOnce();
    expect(result.current.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(result.current.hasOlder).toBe(false);
  });

  it("marks the newest message from the other person as read over the socket", async () => {
    await renderThread();
    await waitFor(() => expect(latestSocket().framesOfType("chat.read")).toHaveLength(1));
    expect(latestSocket().framesOfType("chat.read")[0].data).toEqual({ conversation_id: 7, seq: 3 });
  });

  it("raises the read mark from receipts and from the resume reply, never lowers it", async () => {
    const { result } = await renderThread();
    act(() => latestSocket().push("chat.read", { conversation_id: 7, reader_id: 9, up_to_seq: 3 }));
    expect(result.current.otherRead).toBe(3);
    act(() => latestSocket().push("chat.resume.ok", { conversations: [{ conversation_id: 7, other_last_read_seq: 1 }] }));
    expect(result.current.otherRead).toBe(3);
  });

  it("saves an edit, refuses an empty one, and runs conversation actions", async () => {
    const { result } = await renderThread();
    let ok = true;
    await act(async () => {
      ok = await result.current.saveEdit(103, "   ");
    });
    expect(ok).toBe(false);
    expect(result.current.actionError).toMatch(/cannot be empty/);
    await act(async () => {
      ok = await result.current.saveEdit(103, "fixed");
    });
    expect(ok).toBe(true);
    expect(result.current.messages.find((m) => m.id === 103)?.text).toBe("fixed");
    expect(result.current.actionError).toBeNull();
    await act(() => result.current.act("archive"));
    expect(result.current.conversation?.status).toBe("archived");
  });

  it("shows an optimistic copy, then the stored one in its place", async () => {
    const { result } = await renderThread();
    act(() => result.current.upsertLocal({ ...message(0, { id: -1, seq: Number.MAX_SAFE_INTEGER, client_id: "mine", sender_id: 5 }), pending: "sending" }));
    expect(result.current.messages.at(-1)?.pending).toBe("sending");
    act(() => result.current.upsertLocal(message(4, { client_id: "mine", sender_id: 5 })));
    expect(result.current.messages.map((m) => [m.seq, m.pending])).toEqual([
      [2, undefined],
      [3, undefined],
      [4, undefined],
    ]);
  });
});
