/**
 * One conversation's data: the conversation, its messages (newest page first, older pages on
 * demand), live updates, read receipts both ways, the typing indicator, edit/delete and the
 * archive/block actions. The view (ChatThread) only renders and scrolls.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { errorMessage } from "../../api/http";
import { mergePage, upsertMessage, type ThreadMessage } from "../../lib/chat";
import { useRealtime, useRealtimeEvent } from "../../realtime/RealtimeProvider";

export type Conversation = Schemas["Conversation"];

export const PAGE = 50;
export const TYPING_VISIBLE_MS = 5000;

export interface ChatThreadOptions {
  /** A live message for this conversation is about to be shown (`fromOther`: not sent by me). */
  onLiveMessage?: (fromOther: boolean) => void;
}

export type ConversationAction = "archive" | "unarchive" | "block" | "unblock";

export interface ChatThreadState {
  conversation: Conversation | null;
  messages: ThreadMessage[];
  hasOlder: boolean;
  loading: boolean;
  loadingOlder: boolean;
  /** The thread could not be loaded. */
  error: string | null;
  /** An action (load older, edit, delete, archive…) failed. */
  actionError: string | null;
  setActionError: (message: string | null) => void;
  /** Highest seq the other person has read. */
  otherRead: number;
  /** The other person is typing (cleared after TYPING_VISIBLE_MS without news). */
  typing: boolean;
  reload: () => void;
  /**
   * Fetches the page before the oldest shown message; `beforePrepend` runs just before the
   * older messages are added (the view records its scroll position there).
   */
  loadOlder: (beforePrepend?: () => void) => Promise<void>;
  /** Shows an optimistic or acknowledged copy of a message sent from this tab. */
  upsertLocal: (message: ThreadMessage) => void;
  /** Saves an edit; false (with actionError set) when it was refused or failed. */
  saveEdit: (id: number, text: string) => Promise<boolean>;
  remove: (message: ThreadMessage) => Promise<void>;
  act: (action: ConversationAction) => Promise<void>;
}

async function fetchThread(conversationId: number) {
  return Promise.all([
    unwrap(api.GET("/api/v1/consultations/chat/{id}/", { params: { path: { id: conversationId } } })),
    unwrap(
      api.GET("/api/v1/consultations/chat/{id}/messages/", {
        params: { path: { id: conversationId }, query: { limit: PAGE } },
      }),
    ),
  ]);
}

export function useChatThread(conversationId: number, me: number, options: ChatThreadOptions = {}): ChatThreadState {
  const realtime = useRealtime();
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<ThreadMessage[]>([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [loading, setLoading] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [otherRead, setOtherRead] = useState(0);
  const [typingUntil, setTypingUntil] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const lastReadSent = useRef(0);
  const loadingOlderRef = useRef(false);

  // Another conversation: start empty (state adjusted during render, not in an effect).
  const [shownId, setShownId] = useState(conversationId);
  if (shownId !== conversationId) {
    setShownId(conversationId);
    setConversation(null);
    setMessages([]);
    setHasOlder(false);
    setLoading(true);
    setError(null);
    setTypingUntil(0);
  }

  useEffect(() => {
    let live = true;
    fetchThread(conversationId).then(
      ([conv, page]) => {
        if (!live) return;
        setConversation(conv);
        setOtherRead(conv.other_last_read_seq);
        setMessages(mergePage([], page.results));
        setHasOlder(page.has_more);
        setLoading(false);
        // Tell the socket client where this thread stands, so a resume starts from here.
        realtime.noteMessage(conversationId, page.last_seq, null, page.last_rev);
        for (const m of page.results) realtime.noteMessage(conversationId, m.seq, m.id);
        lastReadSent.current = conv.my_last_read_seq;
      },
      (err: unknown) => {
        if (!live) return;
        setError(errorMessage(err));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [conversationId, realtime, attempt]);

  const reload = useCallback(() => {
    setLoading(true);
    setError(null);
    setAttempt((n) => n + 1);
  }, []);

  const loadOlder = useCallback(
    async (beforePrepend?: () => void) => {
      const oldest = messages.find((m) => !m.pending);
      if (!oldest || loadingOlderRef.current) return;
      loadingOlderRef.current = true;
      setLoadingOlder(true);
      try {
        const page = await unwrap(
          api.GET("/api/v1/consultations/chat/{id}/messages/", {
            params: { path: { id: conversationId }, query: { before: oldest.seq, limit: PAGE } },
          }),
        );
        beforePrepend?.();
        setMessages((prev) => mergePage(prev, page.results));
        setHasOlder(page.has_more);
      } catch (err) {
        setActionError(errorMessage(err));
      } finally {
        loadingOlderRef.current = false;
        setLoadingOlder(false);
      }
    },
    [messages, conversationId],
  );

  // Live updates for this conversation.
  useRealtimeEvent(["chat.message", "chat.message_edited", "chat.message_deleted"], (event) => {
    const m = event.data;
    if (m.conversation_id !== conversationId) return;
    const fromOther = event.type === "chat.message" && m.sender_id !== me;
    options.onLiveMessage?.(fromOther);
    setMessages((prev) => upsertMessage(prev, m));
    if (fromOther) setTypingUntil(0);
  });
  useRealtimeEvent("chat.read", (event) => {
    const d = event.data;
    if (d.conversation_id !== conversationId || d.reader_id === me) return;
    setOtherRead((prev) => Math.max(prev, d.up_to_seq));
  });
  // Receipts given while this tab was offline come back with the resume reply.
  useRealtimeEvent("chat.resume.ok", (event) => {
    const convs = (event.data as { conversations?: { conversation_id: number; other_last_read_seq?: number }[] }).conversations;
    const mine = convs?.find((c) => c.conversation_id === conversationId);
    if (typeof mine?.other_last_read_seq === "number") {
      const seen = mine.other_last_read_seq;
      setOtherRead((prev) => Math.max(prev, seen));
    }
  });
  useRealtimeEvent("chat.typing", (event) => {
    const d = event.data as { conversation_id: number; user_id: number; is_typing: boolean };
    if (d.conversation_id !== conversationId || d.user_id === me) return;
    setTypingUntil(d.is_typing ? Date.now() + TYPING_VISIBLE_MS : 0);
  });
  useRealtimeEvent("chat.conversation", (event) => {
    const d = event.data as Partial<Conversation> & { conversation_id: number };
    if (d.conversation_id !== conversationId) return;
    setConversation((prev) => (prev ? { ...prev, status: d.status ?? prev.status, blocked_by: d.blocked_by ?? null } : prev));
  });

  // Hide the typing indicator once it goes stale (the other side may have just stopped).
  useEffect(() => {
    if (!typingUntil) return;
    const t = setTimeout(() => setTypingUntil(0), Math.max(0, typingUntil - Date.now()));
    return () => clearTimeout(t);
  }, [typingUntil]);

  // Mark what is on screen as read while the tab is visible.
  const newestFromOther = useMemo(
    () => messages.reduce((max, m) => (!m.pending && m.sender_id !== me && m.seq > max ? m.seq : max), 0),
    [messages, me],
  );
  useEffect(() => {
    const markIfVisible = () => {
      if (document.visibilityState !== "visible") return;
      if (newestFromOther <= lastReadSent.current) return;
      const seq = newestFromOther;
      lastReadSent.current = seq;
      realtime.request("chat.read", { conversation_id: conversationId, seq }).catch(() => {
        // The socket was down: fall back to REST so the receipt is not lost.
        void unwrap(
          api.POST("/api/v1/consultations/chat/{id}/read/", { params: { path: { id: conversationId } }, body: { seq } }),
        ).catch(() => {
          lastReadSent.current = Math.min(lastReadSent.current, seq - 1);
        });
      });
    };
    markIfVisible();
    document.addEventListener("visibilitychange", markIfVisible);
    return () => document.removeEventListener("visibilitychange", markIfVisible);
  }, [newestFromOther, conversationId, realtime]);

  const upsertLocal = useCallback((m: ThreadMessage) => setMessages((prev) => upsertMessage(prev, m)), []);

  const saveEdit = useCallback(async (id: number, draft: string) => {
    const text = draft.trim();
    if (!text) {
      setActionError("A message cannot be empty; delete it instead.");
      return false;
    }
    try {
      const updated = await unwrap(api.PATCH("/api/v1/consultations/chat/messages/{id}/", { params: { path: { id } }, body: { text } }));
      setMessages((prev) => upsertMessage(prev, updated));
      setActionError(null);
      return true;
    } catch (err) {
      setActionError(errorMessage(err));
      return false;
    }
  }, []);

  const remove = useCallback(async (message: ThreadMessage) => {
    if (!window.confirm("Delete this message for everyone?")) return;
    try {
      await unwrap(api.DELETE("/api/v1/consultations/chat/messages/{id}/", { params: { path: { id: message.id } } }));
      setMessages((prev) => upsertMessage(prev, { ...message, deleted: true, text: "", attachment: null }));
      setActionError(null);
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }, []);

  const act = useCallback(
    async (action: ConversationAction) => {
      const path = { params: { path: { id: conversationId } } };
      try {
        const next = await unwrap(
          action === "archive"
            ? api.POST("/api/v1/consultations/chat/{id}/archive/", path)
            : action === "unarchive"
              ? api.DELETE("/api/v1/consultations/chat/{id}/archive/", path)
              : action === "block"
                ? api.POST("/api/v1/consultations/chat/{id}/block/", path)
                : api.DELETE("/api/v1/consultations/chat/{id}/block/", path),
        );
        setConversation(next);
        setActionError(null);
      } catch (err) {
        setActionError(errorMessage(err));
      }
    },
    [conversationId],
  );

  return {
    conversation,
    messages,
    hasOlder,
    loading,
    loadingOlder,
    error,
    actionError,
    setActionError,
    otherRead,
    typing: typingUntil > 0,
    reload,
    loadOlder,
    upsertLocal,
    saveEdit,
    remove,
    act,
  };
}
