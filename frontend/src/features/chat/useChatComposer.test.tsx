import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { ThreadMessage } from "../../lib/chat";
import { readStored } from "../../lib/stored";
import { mockFetch } from "../../test/fetchMock";
import { latestSocket, ME, realtimeWrapper } from "../../test/realtime";
import { message } from "./fixtures";
import { useChatComposer } from "./useChatComposer";

beforeEach(() => {
  window.localStorage.clear();
  mockFetch((url) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
  });
});

async function renderComposer() {
  const onLocal = vi.fn<(m: ThreadMessage) => void>();
  const onSent = vi.fn();
  const { Wrapper } = realtimeWrapper();
  const view = renderHook(() => useChatComposer({ conversationId: 7, me: ME.id, replyTo: null, onLocal, onSent }), { wrapper: Wrapper });
  await waitFor(() => expect(latestSocket()).toBeDefined());
  act(() => latestSocket().accept());
  return { ...view, onLocal, onSent };
}

describe("useChatComposer", () => {
  it("shows the message at once, then replaces it with the server's acknowledgement", async () => {
    const { result, onLocal, onSent } = await renderComposer();
    act(() => result.current.edit("Hello there"));
    let sending!: Promise<boolean>;
    act(() => {
      sending = result.current.submit();
    });
    const optimistic = onLocal.mock.calls[0][0];
    expect(optimistic).toMatchObject({ text: "Hello there", pending: "sending", sender_id: ME.id });
    expect(onSent).toHaveBeenCalledOnce();
    expect(result.current.text).toBe("");

    const frame = latestSocket().framesOfType("chat.send")[0];
    expect(frame.data).toMatchObject({ conversation_id: 7, text: "Hello there", client_id: optimistic.client_id });
    act(() => latestSocket().reply(frame, { message: message(4, { client_id: optimistic.client_id, sender_id: ME.id, text: "Hello there" }) }));
    await act(async () => {
      expect(await sending).toBe(true);
    });
    const stored = onLocal.mock.calls.at(-1)![0];
    expect(stored).toMatchObject({ id: 104, seq: 4, client_id: optimistic.client_id });
    expect(stored.pending).toBeUndefined();
  });

  it("marks a refused message as not sent and retries it with the same client_id", async () => {
    const { result, onLocal } = await renderComposer();
    act(() => result.current.edit("Hi"));
    let sending!: Promise<boolean>;
    act(() => {
      sending = result.current.submit();
    });
    const first = latestSocket().framesOfType("chat.send")[0];
    act(() => latestSocket().reply(first, {}, { code: "rate_limited", message: "Slow down." }));
    await act(() => sending);
    expect(onLocal.mock.calls.at(-1)![0].pending).toBe("failed");
    expect(result.current.error).toMatch(/Slow down\. Your message was not sent\./);
    expect(result.current.retry).toBe(true);

    act(() => result.current.retrySend());
    expect(result.current.retry).toBe(false);
    const again = latestSocket().framesOfType("chat.send")[1];
    expect(again.data.client_id).toBe(first.data.client_id);
  });

  it("keeps the draft per user and conversation across a remount", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { result, unmount } = await renderComposer();
      act(() => result.current.edit("Half a thought"));
      act(() => vi.advanceTimersByTime(300));
      expect(readStored(`chat-draft:${ME.id}:7`, "")).toBe("Half a thought");
      unmount();
      const { result: again } = await renderComposer();
      expect(again.current.text).toBe("Half a thought");
    } finally {
      vi.useRealTimers();
    }
  });

  it("sends typing notices at most every few seconds and a stop when the text is cleared", async () => {
    const { result } = await renderComposer();
    act(() => result.current.edit("a"));
    act(() => result.current.edit("ab"));
    expect(latestSocket().framesOfType("chat.typing").map((f) => f.data.is_typing)).toEqual([true]);
    act(() => result.current.edit(""));
    expect(latestSocket().framesOfType("chat.typing").map((f) => f.data.is_typing)).toEqual([true, false]);
  });

  it("refuses files over 10 MB and over-long text without sending", async () => {
    const { result, onLocal } = await renderComposer();
    const big = new File(["x"], "big.pdf", { type: "application/pdf" });
    Object.defineProperty(big, "size", { value: 11 * 1024 * 1024 });
    act(() => {
      expect(result.current.pickFile(big)).toBe(false);
    });
    expect(result.current.error).toBe("That file is larger than 10 MB.");
    expect(result.current.file).toBeNull();
    act(() => result.current.edit("x".repeat(4001)));
    await act(async () => {
      expect(await result.current.submit()).toBe(false);
    });
    expect(result.current.error).toMatch(/at most 4000 characters/);
    expect(onLocal).not.toHaveBeenCalled();
  });
});
