import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { errorMessage } from "../../api/http";
import { useAuth } from "../../auth/AuthContext";
import {
  formatBytes,
  lastSeq,
  mergePage,
  receiptFor,
  upsertMessage,
  type Message,
  type ThreadMessage,
} from "../../lib/chat";
import { formatTime, formatDate, localDateKey } from "../../lib/time";
import { useRealtime, useRealtimeEvent } from "../../realtime/RealtimeProvider";
import { PaperclipIcon } from "../icons";
import { ErrorBox, Loading, StatusBadge } from "../ui";
import { Composer } from "./Composer";

type Conversation = Schemas["Conversation"];

const PAGE = 50;
const TYPING_VISIBLE_MS = 5000;

export function ChatThread({ conversationId }: { conversationId: number }) {
  const { user } = useAuth();
  const realtime = useRealtime();
  const me = user?.id ?? -1;
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<ThreadMessage[]>([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [loading, setLoading] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [otherRead, setOtherRead] = useState(0);
  const [typingUntil, setTypingUntil] = useState(0);
  const [replyTo, setReplyTo] = useState<ThreadMessage | null>(null);
  const [editing, setEditing] = useState<{ id: number; text: string } | null>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);
  const lastReadSent = useRef(0);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const [conv, page] = await Promise.all([
        unwrap(api.GET("/api/v1/consultations/chat/{id}/", { params: { path: { id: conversationId } } })),
        unwrap(
          api.GET("/api/v1/consultations/chat/{id}/messages/", {
            params: { path: { id: conversationId }, query: { limit: PAGE } },
          }),
        ),
      ]);
      setConversation(conv);
      setOtherRead(conv.other_last_read_seq);
      setMessages(mergePage([], page.results));
      setHasOlder(page.has_more);
      // Tell the socket client where this thread stands, so a resume starts from here.
      realtime.noteMessage(conversationId, page.last_seq, null, page.last_rev);
      for (const m of page.results) realtime.noteMessage(conversationId, m.seq, m.id);
      lastReadSent.current = conv.my_last_read_seq;
      stickToBottom.current = true;
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoading(false);
    }
  }, [conversationId, realtime]);

  useEffect(() => {
    setMessages([]);
    setConversation(null);
    setReplyTo(null);
    setEditing(null);
    setTypingUntil(0);
    void load();
  }, [load]);

  async function loadOlder() {
    const oldest = messages.find((m) => !m.pending);
    if (!oldest) return;
    setLoadingOlder(true);
    stickToBottom.current = false;
    try {
      const page = await unwrap(
        api.GET("/api/v1/consultations/chat/{id}/messages/", {
          params: { path: { id: conversationId }, query: { before: oldest.seq, limit: PAGE } },
        }),
      );
      setMessages((prev) => mergePage(prev, page.results));
      setHasOlder(page.has_more);
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setLoadingOlder(false);
    }
  }

  // Live updates for this conversation.
  useRealtimeEvent(["chat.message", "chat.message_edited", "chat.message_deleted"], (event) => {
    const m = event.data as unknown as Message;
    if (m.conversation_id !== conversationId) return;
    stickToBottom.current = isNearBottom(listRef.current);
    setMessages((prev) => upsertMessage(prev, m));
    if (event.type === "chat.message" && m.sender_id !== me) setTypingUntil(0);
  });
  useRealtimeEvent("chat.read", (event) => {
    const d = event.data as { conversation_id: number; reader_id: number; up_to_seq: number };
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

  // Keep the newest message in view unless the reader scrolled up.
  useEffect(() => {
    const el = listRef.current;
    if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, typingUntil]);

  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages]);

  async function saveEdit() {
    if (!editing) return;
    const text = editing.text.trim();
    if (!text) {
      setActionError("A message cannot be empty; delete it instead.");
      return;
    }
    try {
      const updated = await unwrap(
        api.PATCH("/api/v1/consultations/chat/messages/{id}/", { params: { path: { id: editing.id } }, body: { text } }),
      );
      setMessages((prev) => upsertMessage(prev, updated));
      setEditing(null);
      setActionError(null);
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  async function remove(message: ThreadMessage) {
    if (!window.confirm("Delete this message for everyone?")) return;
    try {
      await unwrap(api.DELETE("/api/v1/consultations/chat/messages/{id}/", { params: { path: { id: message.id } } }));
      setMessages((prev) => upsertMessage(prev, { ...message, deleted: true, text: "", attachment: null }));
      setActionError(null);
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  if (loading && !conversation) return <Loading label="Loading conversation…" />;
  if (error) return <ErrorBox message={error} onRetry={() => void load()} />;
  if (!conversation) return null;

  const other = conversation.other_participant;
  const typing = typingUntil > Date.now();
  const blocked = conversation.status === "blocked" || conversation.status === "closed";
  let lastDay = "";

  return (
    <section className="thread card" aria-label={`Conversation with ${other.name}`}>
      <div className="thread-head">
        <div>
          <h2>{other.name}</h2>
          {conversation.status !== "active" && <StatusBadge status={conversation.status} />}
        </div>
        <ThreadMenu conversation={conversation} onChange={setConversation} onError={setActionError} me={me} />
      </div>
      <ol className="messages" ref={listRef} aria-live="polite" aria-relevant="additions" data-testid="messages" onScroll={() => (stickToBottom.current = isNearBottom(listRef.current))}>
        {hasOlder && (
          <li className="load-older">
            <button type="button" className="btn btn-small" onClick={loadOlder} disabled={loadingOlder}>
              {loadingOlder ? "Loading…" : "Load earlier messages"}
            </button>
          </li>
        )}
        {messages.length === 0 && <li className="muted">No messages yet. Say hello!</li>}
        {messages.map((m) => {
          const day = localDateKey(m.created_at);
          const showDay = day !== lastDay;
          lastDay = day;
          const mine = m.sender_id === me;
          const quoted = m.reply_to ? byId.get(m.reply_to) : undefined;
          const receipt = mine ? receiptFor(m, otherRead) : null;
          return (
            <Fragment key={m.client_id || m.id}>
              {showDay && <li className="day-sep">{formatDate(m.created_at)}</li>}
              <li className={`msg${mine ? " mine" : ""}${m.deleted ? " deleted" : ""}`} data-testid="message" data-seq={m.seq} data-receipt={receipt ?? undefined}>
                <span className="visually-hidden">{mine ? "You" : other.name}: </span>
                {m.reply_to && (
                  <div className="msg-quote">
                    {quoted ? (quoted.deleted ? "Deleted message" : quoted.text || quoted.attachment?.name || "Attachment") : "Earlier message"}
                  </div>
                )}
                {m.deleted ? (
                  <span className="msg-text">This message was deleted.</span>
                ) : editing?.id === m.id ? (
                  <form
                    onSubmit={(e) => {
                      e.preventDefault();
                      void saveEdit();
                    }}
                  >
                    <label className="visually-hidden" htmlFor={`edit-${m.id}`}>
                      Edit message
                    </label>
                    <textarea
                      id={`edit-${m.id}`}
                      value={editing.text}
                      autoFocus
                      onChange={(e) => setEditing({ id: m.id, text: e.target.value })}
                      onKeyDown={(e) => {
                        if (e.key === "Escape") setEditing(null);
                        if (e.key === "Enter" && !e.shiftKey) {
                          e.preventDefault();
                          void saveEdit();
                        }
                      }}
                    />
                    <div className="msg-actions">
                      <button type="submit">Save</button>
                      <button type="button" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </div>
                  </form>
                ) : (
                  <>
                    {m.text && <div className="msg-text">{m.text}</div>}
                    {m.attachment && <AttachmentView attachment={m.attachment} />}
                  </>
                )}
                {m.pending === "sending" && typeof m.progress === "number" && m.progress < 1 && (
                  <progress max={100} value={Math.round(m.progress * 100)} aria-label="Upload progress" />
                )}
                <div className="msg-meta">
                  <time dateTime={m.created_at}>{formatTime(m.created_at)}</time>
                  {m.edited_at && !m.deleted && <span>edited</span>}
                  {receipt && (
                    <span className={`receipt receipt-${receipt}`} data-testid="receipt">
                      {receipt === "read" ? "✓✓ Read" : receipt === "sent" ? "✓ Sent" : receipt === "sending" ? "Sending…" : "Not sent"}
                    </span>
                  )}
                </div>
                {!m.deleted && !m.pending && editing?.id !== m.id && (
                  <div className="msg-actions">
                    <button type="button" onClick={() => setReplyTo(m)} aria-label={`Reply to: ${m.text.slice(0, 40) || "attachment"}`}>
                      Reply
                    </button>
                    {mine && m.text !== undefined && (
                      <button type="button" onClick={() => setEditing({ id: m.id, text: m.text })}>
                        Edit
                      </button>
                    )}
                    {mine && (
                      <button type="button" onClick={() => void remove(m)}>
                        Delete
                      </button>
                    )}
                  </div>
                )}
              </li>
            </Fragment>
          );
        })}
      </ol>
      <div className="typing" aria-live="polite" data-testid="typing">
        {typing ? `${other.name} is typing…` : ""}
      </div>
      <ErrorBox message={actionError} />
      <Composer
        conversationId={conversationId}
        me={me}
        disabled={blocked}
        disabledReason={blocked ? "This conversation is blocked or closed; no new messages can be sent." : undefined}
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(null)}
        onLocal={(m) => {
          stickToBottom.current = true;
          setMessages((prev) => upsertMessage(prev, m));
        }}
        onSent={() => setReplyTo(null)}
        lastSeq={lastSeq(messages)}
      />
    </section>
  );
}

function isNearBottom(el: HTMLElement | null): boolean {
  if (!el) return true;
  return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
}

function AttachmentView({ attachment }: { attachment: NonNullable<Message["attachment"]> }) {
  if (!attachment.url) return (
      <div className="muted">
        <PaperclipIcon /> {attachment.name}
      </div>
    );
  if (attachment.content_type.startsWith("image/")) {
    return (
      <a href={attachment.url} target="_blank" rel="noreferrer">
        <img src={attachment.url} alt={attachment.name} loading="lazy" />
      </a>
    );
  }
  return (
    <a href={attachment.url} target="_blank" rel="noreferrer" download={attachment.name}>
      <PaperclipIcon /> {attachment.name} ({formatBytes(attachment.size)})
    </a>
  );
}

function ThreadMenu({
  conversation,
  onChange,
  onError,
  me,
}: {
  conversation: Conversation;
  onChange: (c: Conversation) => void;
  onError: (m: string | null) => void;
  me: number;
}) {
  const path = { params: { path: { id: conversation.id } } };
  async function run(action: () => Promise<Conversation>) {
    try {
      onChange(await action());
      onError(null);
    } catch (err) {
      onError(errorMessage(err));
    }
  }
  const blockedByMe = conversation.status === "blocked" && conversation.blocked_by === me;
  return (
    <div className="actions">
      {conversation.status === "archived" ? (
        <button type="button" className="btn btn-small" onClick={() => void run(() => unwrap(api.DELETE("/api/v1/consultations/chat/{id}/archive/", path)))}>
          Unarchive
        </button>
      ) : (
        conversation.status === "active" && (
          <button type="button" className="btn btn-small" onClick={() => void run(() => unwrap(api.POST("/api/v1/consultations/chat/{id}/archive/", path)))}>
            Archive
          </button>
        )
      )}
      {blockedByMe ? (
        <button type="button" className="btn btn-small" onClick={() => void run(() => unwrap(api.DELETE("/api/v1/consultations/chat/{id}/block/", path)))}>
          Unblock
        </button>
      ) : (
        conversation.status !== "blocked" && (
          <button
            type="button"
            className="btn btn-small btn-danger"
            onClick={() => {
              if (window.confirm("Block this conversation? The other person will not be able to message you.")) {
                void run(() => unwrap(api.POST("/api/v1/consultations/chat/{id}/block/", path)));
              }
            }}
          >
            Block
          </button>
        )
      )}
    </div>
  );
}
