/** The inbox: conversations (active or archived) kept current by live chat events. */
import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/http";
import { useAsync } from "../../lib/useAsync";
import { useRealtimeEvent } from "../../realtime/RealtimeProvider";
import { paths } from "../../routes";
import type { Conversation } from "./useChatThread";

/** Newest activity first. */
export function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => (b.last_message_at ?? b.created_at).localeCompare(a.last_message_at ?? a.created_at));
}

export function useConversations(showArchived: boolean) {
  const list = useAsync(
    () =>
      unwrap(
        api.GET("/api/v1/consultations/chat/list/", {
          params: { query: showArchived ? { status: "archived" } : {} },
        }),
      ).then((page) => page.results),
    [showArchived],
  );

  // A new message moves its conversation to the top with the new preview; a conversation this
  // list has not seen yet (someone wrote for the first time) is fetched.
  useRealtimeEvent("chat.message", (event) => {
    const m = event.data;
    const known = (list.data ?? []).some((c) => c.id === m.conversation_id);
    list.setData((prev) => {
      const items = prev ?? [];
      const updated = items.map((c) =>
        c.id === m.conversation_id ? { ...c, last_message: m, last_message_at: m.created_at, last_seq: Math.max(c.last_seq, m.seq) } : c,
      );
      return sortConversations(updated);
    });
    if (!known && !showArchived) void list.reload();
  });
  useRealtimeEvent("chat.unread", (event) => {
    const d = event.data as { conversations?: Record<string, number> };
    const counts = d.conversations ?? {};
    list.setData((prev) => (prev ?? []).map((c) => ({ ...c, unread_count: counts[String(c.id)] ?? 0 })));
  });
  useRealtimeEvent(["chat.conversation", "chat.resume.ok"], () => void list.reload());

  return list;
}

/**
 * Finds or opens the conversation with an expert (about a consultation, if given), then goes to
 * it; returns the error to show if that failed.
 */
export function useStartConversation(expertId: number, consultationId: number | null): string | null {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!expertId) return;
    let live = true;
    unwrap(api.POST("/api/v1/consultations/chat/", { body: { expert_id: expertId, consultation_id: consultationId } }))
      .then((conv) => live && navigate(paths.conversation(conv.id), { replace: true }))
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [expertId, consultationId, navigate]);
  return expertId ? error : "No expert was given.";
}
