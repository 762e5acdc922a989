import { Fragment, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";

import { useAuth } from "../../auth/AuthContext";
import { useChatThread, type Conversation, type ConversationAction } from "../../features/chat/useChatThread";
import {
  formatBytes,
  groupMessages,
  lastSeq,
  receiptFor,
  receiptMarkers,
  type Message,
  type ThreadMessage,
} from "../../lib/chat";
import { formatTime, formatDate, formatDateTime, localDateKey, timeZoneLabel } from "../../lib/time";
import { Avatar } from "../Avatar";
import { CalendarIcon, PaperclipIcon } from "../icons";
import { Menu, type MenuItem } from "../Menu";
import { ErrorBox, Loading, StatusBadge } from "../ui";
import { paths } from "../../routes";
import { Composer } from "./Composer";
import styles from "./chat.module.css";

const cx = (...names: (string | false | null | undefined)[]) => names.filter(Boolean).join(" ");

/**
 * One conversation as a full-height pane: header, scrolling messages (opens at the newest,
 * loads older ones when scrolled to the top), composer at the bottom. Data comes from
 * useChatThread; this component renders and keeps the scroll position.
 */
export function ChatThread({ conversationId, headStart }: { conversationId: number; headStart?: ReactNode }) {
  const { user } = useAuth();
  const me = user?.id ?? -1;
  const listRef = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);
  // Set just before older messages are prepended, so the view stays on what the reader sees.
  const restoreFrom = useRef<{ height: number; top: number } | null>(null);
  const [unseenBelow, setUnseenBelow] = useState(0);
  const [replyTo, setReplyTo] = useState<ThreadMessage | null>(null);
  const [editing, setEditing] = useState<{ id: number; text: string } | null>(null);

  const thread = useChatThread(conversationId, me, {
    onLiveMessage: (fromOther) => {
      stickToBottom.current = isNearBottom(listRef.current);
      if (fromOther && !stickToBottom.current) setUnseenBelow((n) => n + 1);
    },
  });
  const { conversation, messages, hasOlder, loadingOlder, otherRead, typing } = thread;

  function loadOlder() {
    stickToBottom.current = false;
    void thread.loadOlder(() => {
      const el = listRef.current;
      if (el) restoreFrom.current = { height: el.scrollHeight, top: el.scrollTop };
    });
  }

  function onScroll() {
    const el = listRef.current;
    stickToBottom.current = isNearBottom(el);
    if (stickToBottom.current) setUnseenBelow(0);
    if (el && el.scrollTop < 120 && hasOlder && !loadingOlder) loadOlder();
  }

  function scrollToBottom(behavior: ScrollBehavior = "auto") {
    const el = listRef.current;
    if (!el) return;
    stickToBottom.current = true;
    setUnseenBelow(0);
    el.scrollTo({ top: el.scrollHeight, behavior });
  }

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
  }, [messages, typing, conversation]);

  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages]);
  const groups = useMemo(() => {
    // A day separator goes before the first group of each day.
    const grouped = groupMessages(messages, (iso) => localDateKey(iso));
    return grouped.map((g, i) => ({ ...g, showDay: i === 0 || grouped[i - 1].day !== g.day }));
  }, [messages]);

  async function saveEdit() {
    if (editing && (await thread.saveEdit(editing.id, editing.text))) setEditing(null);
  }

  if (thread.loading && !conversation) return <Loading label="Loading conversation…" />;
  if (thread.error) return <ErrorBox message={thread.error} onRetry={thread.reload} />;
  if (!conversation) return null;

  const other = conversation.other_participant;
  const otherAvatar = conversation.expert.user_id === other.id ? conversation.expert.avatar_url : null;
  const blocked = conversation.status === "blocked" || conversation.status === "closed";
  const markers = receiptMarkers(messages, me, otherRead);

  return (
    <section className={`${styles.thread} card`} aria-label={`Conversation with ${other.name}`}>
      <div className={styles.threadHead}>
        {headStart}
        <Avatar name={other.name} url={otherAvatar} size={36} />
        <div className={styles.threadTitle}>
          <h2>{other.name}</h2>
          {conversation.status !== "active" ? (
            <StatusBadge domain="conversation" status={conversation.status} />
          ) : (
            typing && <small className="muted">typing…</small>
          )}
        </div>
        {conversation.consultation_id && (
          <Link className={`btn btn-small ${styles.consultationLink}`} to={paths.consultation(conversation.consultation_id)}>
            <CalendarIcon />
            <span className={styles.linkLabel}>View consultation</span>
          </Link>
        )}
        <ThreadMenu conversation={conversation} onAction={(a) => void thread.act(a)} me={me} />
      </div>
      <ol
        className={styles.messages}
        ref={listRef}
        aria-live="polite"
        aria-relevant="additions"
        data-testid="messages"
        tabIndex={0}
        aria-label="Messages"
        onScroll={onScroll}
      >
        {hasOlder && (
          <li className={styles.loadOlder}>
            <button type="button" className="btn btn-small" onClick={loadOlder} disabled={loadingOlder}>
              {loadingOlder ? "Loading earlier messages…" : "Load earlier messages"}
            </button>
          </li>
        )}
        {!hasOlder && messages.length > 0 && <li className={`${styles.threadStart} muted`}>This is the start of your conversation with {other.name}.</li>}
        {messages.length === 0 && <li className={`muted ${styles.threadStart}`}>No messages yet. Say hello!</li>}
        {groups.map((g) => {
          const mine = g.senderId === me;
          const first = g.messages[0];
          return (
            <Fragment key={g.key}>
              {g.showDay && (
                // The zone is named once per day rather than on every group's clock time.
                <li className={styles.daySep} data-testid="day-separator">
                  <span>
                    {formatDate(first.created_at)} · {timeZoneLabel()} time
                  </span>
                </li>
              )}
              <li className={cx(styles.msgGroup, mine && styles.mine)}>
                {!mine && <Avatar name={other.name} url={otherAvatar} size={32} />}
                <div className={styles.msgGroupBody}>
                  <div className={styles.msgGroupHead}>
                    <strong>{mine ? "You" : other.name}</strong> <time dateTime={first.created_at} title={formatDateTime(first.created_at)}>{formatTime(first.created_at)}</time>
                  </div>
                  <ol className={styles.msgList}>
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
                        onDelete={() => void thread.remove(m)}
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
        <button type="button" className={`btn btn-small ${styles.jumpNewest}`} onClick={() => scrollToBottom("smooth")}>
          {unseenBelow === 1 ? "1 new message" : `${unseenBelow} new messages`} ↓
        </button>
      )}
      <div className={styles.typing} aria-live="polite" data-testid="typing">
        {typing ? `${other.name} is typing…` : ""}
      </div>
      <ErrorBox message={thread.actionError} />
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
          thread.upsertLocal(m);
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
      className={cx(styles.msg, mine && styles.mine, m.deleted && styles.deleted, m.pending && styles[m.pending])}
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
      <div className={styles.msgRow}>
        <div className={styles.bubble} data-testid="bubble" title={new Date(m.created_at).toLocaleString()}>
          <span className="visually-hidden">{senderName}: </span>
          {m.reply_to && (
            <div className={styles.msgQuote}>
              {quoted ? (quoted.deleted ? "Deleted message" : quoted.text || quoted.attachment?.name || "Attachment") : "Earlier message"}
            </div>
          )}
          {m.deleted ? (
            <span className={styles.msgText} data-testid="message-text">This message was deleted.</span>
          ) : editing !== null ? (
            <form
              className={styles.msgEdit}
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
              <div className={styles.msgEditActions}>
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
              {m.text && <div className={styles.msgText} data-testid="message-text">{m.text}</div>}
              {m.attachment && <AttachmentView attachment={m.attachment} />}
              {m.edited_at && <span className={styles.msgEdited}>(edited)</span>}
            </>
          )}
          {m.pending === "sending" && typeof m.progress === "number" && m.progress < 1 && (
            <progress max={100} value={Math.round(m.progress * 100)} aria-label="Upload progress" />
          )}
        </div>
        <Menu
          className={styles.msgMenu}
          buttonClassName={styles.msgMenuButton}
          label={`Actions for message: ${m.text.slice(0, 40) || "attachment"}`}
          items={items}
          open={menuOpen}
          onOpenChange={setMenuOpen}
          align={mine ? "end" : "start"}
        />
      </div>
      {marker && (
        <div className={cx(styles.receipt, receipt === "failed" && styles.receiptFailed)} data-testid="receipt">
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
  onAction,
  me,
}: {
  conversation: Conversation;
  onAction: (action: ConversationAction) => void;
  me: number;
}) {
  const blockedByMe = conversation.status === "blocked" && conversation.blocked_by === me;
  const items: MenuItem[] = [];
  if (conversation.status === "archived") items.push({ label: "Move back to inbox", onSelect: () => onAction("unarchive") });
  else if (conversation.status === "active") items.push({ label: "Archive conversation", onSelect: () => onAction("archive") });
  if (blockedByMe) items.push({ label: "Unblock", onSelect: () => onAction("unblock") });
  else if (conversation.status !== "blocked")
    items.push({
      label: "Block…",
      danger: true,
      onSelect: () => {
        if (window.confirm(`Block ${conversation.other_participant.name}? They will not be able to message you until you unblock.`)) {
          onAction("block");
        }
      },
    });
  return <Menu label="Conversation options" items={items} />;
}
