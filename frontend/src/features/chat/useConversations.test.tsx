import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { latestSocket, ME, realtimeWrapper } from "../../test/realtime";
import { conversation, message } from "./fixtures";
import { useConversations } from "./useConversations";

let listCalls = 0;
beforeEach(() => {
  listCalls = 0;
  mockFetch((url) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/consultations/chat/list/") {
      listCalls += 1;
      const older = conversation({ id: 7, last_message_at: "2026-01-01T09:00:00Z" });
      const newer = conversation({ id: 8, last_message_at: "2026-01-01T10:00:00Z" });
      return { status: 200, body: { count: 2, next: null, previous: null, results: [newer, older] } };
    }
  });
});

async function renderList() {
  const { Wrapper } = realtimeWrapper();
  const view = renderHook(() => useConversations(false), { wrapper: Wrapper });
  await waitFor(() => expect(view.result.current.data).toHaveLength(2));
  await waitFor(() => expect(latestSocket()).toBeDefined());
  act(() => latestSocket().accept());
  return view;
}

describe("useConversations", () => {
  it("moves a conversation with a new message to the top with its preview", async () => {
    const { result } = await renderList();
    const before = listCalls;
    act(() => latestSocket().push("chat.message", message(9, { conversation_id: 7, created_at: "2026-01-01T11:00:00Z", text: "Newest" })));
    expect(result.current.data?.map((c) => c.id)).toEqual([7, 8]);
    expect(result.current.data?.[0].last_message?.text).toBe("Newest");
    expect(listCalls).toBe(before);
  });

  it("fetches the list again when a message arrives in a conversation it does not show", async () => {
    await renderList();
    const before = listCalls;
    act(() => latestSocket().push("chat.message", message(1, { conversation_id: 99, id: 501 })));
    await waitFor(() => expect(listCalls).toBe(before + 1));
  });

  it("sets unread counts from the live total", async () => {
    const { result } = await renderList();
    act(() => latestSocket().push("chat.unread", { total: 3, conversations: { "8": 3 } }));
    expect(result.current.data?.map((c) => c.unread_count)).toEqual([3, 0]);
  });
});
