import "../../styles/chat.css";
import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";

import { api, unwrap, type Schemas } from "../../api/client";
import { errorMessage } from "../../api/http";
import { useAuth } from "../../auth/AuthContext";
import {
  formatBytes,
  groupMessages,
  lastSeq,
  mergePage,
  receiptFor,
  receiptMarkers,
  upsertMessage,
  type Message,
  type ThreadMessage,
} from "../../lib/chat";
import { formatTime, formatDate, localDateKey } from "../../lib/time";
import { useRealtime, useRealtimeEvent } from "../../realtime/RealtimeProvider";
import { Avatar } from "../Avatar";
import { CalendarIcon, PaperclipIcon } from "../icons";
import { Menu, type MenuItem } from "../Menu";
import { ErrorBox, Loading, StatusBadge } from "../ui";
import { paths } from "../../routes";
import { Composer } from "./Composer";

type Conversation = Schemas["Conversation"];

const PAGE = 50;
const TYPING_VISIBLE_MS = 5000;

/**
 * One conversation as a full-height pane: header, scrolling messages (opens at the newest,
 * loads older ones when scrolled to the top), composer at the bottom.
 */
export function ChatThread({ conversationId, headStart }: { conversationId: number; headStart?: ReactNode }) {
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
  // Set just before older messages are prepended, so the view stays on what the reader sees.
  const restoreFrom = useRef<{ height: number; top: number } | null>(null);
  const [unseenBelow, setUnseenBelow] = useState(0);

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

  const loadingOlderRef = useRef(false);
  async function loadOlder() {
    const oldest = messages.find((m) => !m.pending);
    if (!oldest || loadingOlderRef.current) return;
    loadingOlderRef.current = true;
    setLoadingOlder(true);
    stickToBottom.current = false;
    try {
      const page = await unwrap(
        api.GET("/api/v1/consultations/chat/{id}/messages/", {
          params: { path: { id: conversationId }, query: { before: oldest.seq, limit: PAGE } },
        }),
      );
      const el = listRef.current;
      if (el) restoreFrom.current = { height: el.scrollHeight, top: el.scrollTop };
      setMessages((prev) => mergePage(prev, page.results));
      setHasOlder(page.has_more);
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      loadingOlderRef.current = false;
      setLoadingOlder(false);
    }
  }

  function onScroll() {
    const el = listRef.current;
    stickToBottom.current = isNearBottom(el);
    if (stickToBottom.current) setUnseenBelow(0);
    if (el && el.scrollTop < 120 && hasOlder && !loadingOlderRef.current) void loadOlder();
  }

  function scrollToBottom(behavior: ScrollBehavior = "auto") {
    const el = listRef.current;
    if (!el) return;
    stickToBottom.current = true;
    setUnseenBelow(0);
    el.scrollTo({ top: el.scrollHeight, behavior });
  }

  // Live updates for this conversation.
  useRealtimeEvent(["chat.message", "chat.message_edited", "chat.message_deleted"], (event) => {
    const m = event.data;
    if (m.conversation_id !== conversationId) return;
    stickToBottom.current = isNearBottom(listRef.current);
    setMessages((prev) => upsertMessage(prev, m));
    if (event.type === "chat.message" && m.sender_id !== me) {
      setTypingUntil(0);
      if (!stickToBottom.current) setUnseenBelow((n) => n + 1);
    }
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

  // Open at the newest message and keep it in view unless the reader scrolled up; after
  // loading older messages, keep the same message under the reader's eyes.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    if (restoreFrom.current) {
      el.scrollTop = el.scrollHeight - restoreFrom.current.height + restoreFrom.current.top;
      restoreFrom.current = null;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [messages, typingUntil, conversation]);

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
  const otherAvatar = conversation.expert.user_id === other.id ? conversation.expert.avatar_url : null;
  const typing = typingUntil > Date.now();
  const blocked = conversation.status === "blocked" || conversation.status === "closed";
  const markers = receiptMarkers(messages, me, otherRead);
  const groups = groupMessages(messages, (iso) => localDateKey(iso));
  let lastDay = "";

  return (
    <section className="thread card" aria-label={`Conversation with ${other.name}`}>
      <div className="thread-head">
        {headStart}
        <Avatar name={other.name} url={otherAvatar} size={36} />
        <div className="thread-title">
          <h2>{other.name}</h2>
          {conversation.status !== "active" ? (
            <StatusBadge domain="conversation" status={conversation.status} />
          ) : (
            typing && <small className="muted">typing…</small>
          )}
        </div>
        {conversation.consultation_id && (
          <Link className="btn btn-small consultation-link" to={paths.consultation(conversation.consultation_id)}>
            <CalendarIcon />
            <span className="link-label">View consultation</span>
          </Link>
        )}
        <ThreadMenu conversation={conversation} onChange={setConversation} onError={setActionError} me={me} />
      </div>
      <ol
        className="messages"
        ref={listRef}
        aria-live="polite"
        aria-relevant="additions"
        data-testid="messages"
        tabIndex={0}
        aria-label="Messages"
        onScroll={onScroll}
      >
        {hasOlder && (
          <li className="load-older">
            <button type="button" className="btn btn-small" onClick={() => void loadOlder()} disabled={loadingOlder}>
              {loadingOlder ? "Loading earlier messages…" : "Load earlier messages"}
            </button>
          </li>
        )}
        {!hasOlder && messages.length > 0 && <li className="thread-start muted">This is the start of your conversation with {other.name}.</li>}
        {messages.length === 0 && <li className="muted thread-start">No messages yet. Say hello!</li>}
        {groups.map((g) => {
          const showDay = g.day !== lastDay;
          lastDay = g.day;
          const mine = g.senderId === me;
          const first = g.messages[0];
          return (
            <Fragment key={g.key}>
              {showDay && (
                <li className="day-sep">
                  <span>{formatDate(first.created_at)}</span>
                </li>
              )}
              <li className={`msg-group${mine ? " mine" : ""}`}>
                {!mine && <Avatar name={other.name} url={otherAvatar} size={32} />}
                <div className="msg-group-body">
                  <div className="msg-group-head">
                    <strong>{mine ? "You" : other.name}</strong> <time dateTime={first.created_at}>{formatTime(first.created_at)}</time>
                  </div>
                  <ol className="msg-list">
                    {g.messages.map((m) => (
                      <MessageBubble
                        key={m.client_id || m.id}
                        message={m}
                        mine={mine}
                        senderName={mine ? "You" : other.name}
                        quoted={m.reply_to ? (byId.get(m.reply_to) ?? null) : undefined}
                        receipt={mine ? receiptFor(m, otherRead) : null}
                        marker={
                          !mine ? null : m.pending === "failed" ? "Not sent" : m.pending ? "Sending…" : m.seq === markers.seen ? "Seen" : m.seq === markers.sent ? "Sent" : null
                        }
                        editing={editing?.id === m.id ? editing.text : null}
                        onEditChange={(text) => setEditing({ id: m.id, text })}
                        onEditSave={() => void saveEdit()}
                        onEditCancel={() => setEditing(null)}
                        onReply={() => setReplyTo(m)}
                        onEdit={() => setEditing({ id: m.id, text: m.text })}
                        onDelete={() => void remove(m)}
                      />
                    ))}
                  </ol>
                </div>
              </li>
            </Fragment>
          );
        })}
      </ol>
      {unseenBelow > 0 && (
        <button type="button" className="btn btn-small jump-newest" onClick={() => scrollToBottom("smooth")}>
          {unseenBelow === 1 ? "1 new message" : `${unseenBelow} new messages`} ↓
        </button>
      )}
      <div className="typing" aria-live="polite" data-testid="typing">
        {typing ? `${other.name} is typing…` : ""}
      </div>
      <ErrorBox message={actionError} />
      <Composer
        conversationId={conversationId}
        me={me}
        disabled={blocked}
        disabledReason={
          conversation.status === "closed"
            ? "This conversation is closed; no new messages can be sent."
            : conversation.blocked_by === me
              ? "You blocked this conversation. Unblock it from the ⋯ menu to write again."
              : blocked
                ? "This conversation is blocked; no new messages can be sent."
                : undefined
        }
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

const LONG_PRESS_MS = 450;

function MessageBubble({
  message: m,
  mine,
  senderName,
  quoted,
  receipt,
  marker,
  editing,
  onEditChange,
  onEditSave,
  onEditCancel,
  onReply,
  onEdit,
  onDelete,
}: {
  message: ThreadMessage;
  mine: boolean;
  senderName: string;
  quoted: ThreadMessage | null | undefined;
  receipt: string | null;
  marker: string | null;
  editing: string | null;
  onEditChange: (text: string) => void;
  onEditSave: () => void;
  onEditCancel: () => void;
  onReply: () => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const [menuOpen, setMenuOpen] = useState(false);
  const press = useRef<ReturnType<typeof setTimeout> | null>(null);
  const cancelPress = () => {
    if (press.current) clearTimeout(press.current);
    press.current = null;
  };
  const items: MenuItem[] = [];
  if (!m.deleted && !m.pending && editing === null) {
    items.push({ label: "Reply", onSelect: onReply });
    if (m.text) items.push({ label: "Copy text", onSelect: () => void navigator.clipboard?.writeText(m.text).catch(() => undefined) });
    if (mine && m.text && !m.attachment) items.push({ label: "Edit", onSelect: onEdit });
    if (mine) items.push({ label: "Delete", onSelect: onDelete, danger: true });
  }

  return (
    <li
      className={`msg${mine ? " mine" : ""}${m.deleted ? " deleted" : ""}${m.pending ? ` ${m.pending}` : ""}`}
      data-testid="message"
      data-seq={m.seq}
      data-receipt={receipt ?? undefined}
      onPointerDown={(e) => {
        if (e.pointerType !== "touch" || items.length === 0) return;
        cancelPress();
        press.current = setTimeout(() => setMenuOpen(true), LONG_PRESS_MS);
      }}
      onPointerUp={cancelPress}
      onPointerMove={cancelPress}
      onPointerCancel={cancelPress}
      onContextMenu={(e) => {
        // A long press on a phone opens our menu instead of the browser's.
        if (menuOpen) e.preventDefault();
      }}
    >
      <div className="msg-row">
        <div className="bubble" title={new Date(m.created_at).toLocaleString()}>
          <span className="visually-hidden">{senderName}: </span>
          {m.reply_to && (
            <div className="msg-quote">
              {quoted ? (quoted.deleted ? "Deleted message" : quoted.text || quoted.attachment?.name || "Attachment") : "Earlier message"}
            </div>
          )}
          {m.deleted ? (
            <span className="msg-text">This message was deleted.</span>
          ) : editing !== null ? (
            <form
              className="msg-edit"
              onSubmit={(e) => {
                e.preventDefault();
                onEditSave();
              }}
            >
              <label className="visually-hidden" htmlFor={`edit-${m.id}`}>
                Edit message
              </label>
              <textarea
                id={`edit-${m.id}`}
                value={editing}
                autoFocus
                onChange={(e) => onEditChange(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === "Escape") onEditCancel();
                  if (e.key === "Enter" && !e.shiftKey) {
                    e.preventDefault();
                    onEditSave();
                  }
                }}
              />
              <div className="msg-edit-actions">
                <button type="submit" className="btn btn-small btn-primary">
                  Save
                </button>
                <button type="button" className="btn btn-small" onClick={onEditCancel}>
                  Cancel
                </button>
              </div>
            </form>
          ) : (
            <>
              {m.text && <div className="msg-text">{m.text}</div>}
              {m.attachment && <AttachmentView attachment={m.attachment} />}
              {m.edited_at && <span className="msg-edited">(edited)</span>}
            </>
          )}
          {m.pending === "sending" && typeof m.progress === "number" && m.progress < 1 && (
            <progress max={100} value={Math.round(m.progress * 100)} aria-label="Upload progress" />
          )}
        </div>
        <Menu
          className="msg-menu"
          label={`Actions for message: ${m.text.slice(0, 40) || "attachment"}`}
          items={items}
          open={menuOpen}
          onOpenChange={setMenuOpen}
          align={mine ? "end" : "start"}
        />
      </div>
      {marker && (
        <div className={`receipt receipt-${receipt}`} data-testid="receipt">
          {marker}
        </div>
      )}
    </li>
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
  const items: MenuItem[] = [];
  if (conversation.status === "archived")
    items.push({ label: "Move back to inbox", onSelect: () => void run(() => unwrap(api.DELETE("/api/v1/consultations/chat/{id}/archive/", path))) });
  else if (conversation.status === "active")
    items.push({ label: "Archive conversation", onSelect: () => void run(() => unwrap(api.POST("/api/v1/consultations/chat/{id}/archive/", path))) });
  if (blockedByMe)
    items.push({ label: "Unblock", onSelect: () => void run(() => unwrap(api.DELETE("/api/v1/consultations/chat/{id}/block/", path))) });
  else if (conversation.status !== "blocked")
    items.push({
      label: "Block…",
      danger: true,
      onSelect: () => {
        if (window.confirm(`Block ${conversation.other_participant.name}? They will not be able to message you until you unblock.`)) {
          void run(() => unwrap(api.POST("/api/v1/consultations/chat/{id}/block/", path)));
        }
      },
    });
  return <Menu label="Conversation options" items={items} />;
}
