import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";

import type { Schemas } from "../api/client";
import { ChatThread } from "../components/chat/ChatThread";
import styles from "../components/chat/chat.module.css";
import { useConversations, useStartConversation } from "../features/chat/useConversations";
import { ErrorBox, Empty, Loading } from "../components/ui";
import { Avatar } from "../components/Avatar";
import { BackIcon } from "../components/icons";
import { relativeFromNow } from "../lib/time";
import { paths } from "../routes";

type Conversation = Schemas["Conversation"];

export function ChatPage() {
  const params = useParams();
  const [search] = useSearchParams();
  // Notification links use ?conversation=<id>.
  const fromQuery = search.get("conversation");
  const activeId = params.id ? Number(params.id) : fromQuery ? Number(fromQuery) : null;
  const [showArchived, setShowArchived] = useState(false);
  const list = useConversations(showArchived);

  return (
    <div className={`page ${styles.chatLayout}${activeId ? ` ${styles.hasThread}` : ""}`}>
      <aside className={`${styles.conversationList} card`} aria-label="Conversations">
        <div className="section-head" style={{ marginBottom: "0.5rem" }}>
          <h1 style={{ fontSize: "1.2rem" }}>Messages</h1>
          <button type="button" className="btn btn-small" aria-pressed={showArchived} onClick={() => setShowArchived((s) => !s)}>
            {showArchived ? "Show active" : "Show archived"}
          </button>
        </div>
        <ErrorBox message={list.error} onRetry={() => void list.reload()} />
        {list.loading && !list.data && <Loading label="Loading conversations…" />}
        {list.data && list.data.length === 0 && (
          <Empty>
            {showArchived ? "No archived conversations." : <>No conversations yet. Start one from an <Link to={paths.experts}>expert&apos;s page</Link>.</>}
          </Empty>
        )}
        {list.data && list.data.length > 0 && (
          <ul>
            {list.data.map((c) => (
              <li key={c.id}>
                <Link to={paths.conversation(c.id)} aria-current={c.id === activeId ? "page" : undefined} data-testid="conversation-link">
                  <Avatar name={c.other_participant.name} url={c.expert.user_id === c.other_participant.id ? c.expert.avatar_url : null} size={36} />
                  <span className={styles.convText}>
                    <strong>{c.other_participant.name}</strong>
                    <span>{preview(c)}</span>
                  </span>
                  <span className={styles.convSide}>
                    {c.last_message_at && <small className="muted">{relativeFromNow(c.last_message_at)}</small>}
                    {c.unread_count > 0 && c.id !== activeId && (
                      <span className="count-badge" data-testid="unread-badge">
                        {c.unread_count}
                        <span className="visually-hidden"> unread</span>
                      </span>
                    )}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </aside>
      {activeId ? (
        <div className={styles.threadWrap}>
          <ChatThread
            key={activeId}
            conversationId={activeId}
            headStart={
              <Link className={`btn btn-icon ${styles.backToList}`} to={paths.chat}>
                <BackIcon />
                <span className="visually-hidden">All conversations</span>
              </Link>
            }
          />
        </div>
      ) : (
        <section className={`${styles.thread} card ${styles.emptyThread}`} aria-label="No conversation selected">
          <p className="muted" style={{ margin: "auto" }}>
            Choose a conversation.
          </p>
        </section>
      )}
    </div>
  );
}

function preview(c: Conversation): string {
  const m = c.last_message;
  if (!m) return "No messages yet";
  if (m.deleted) return "Message deleted";
  return m.text || (m.attachment ? `Attachment: ${m.attachment.name}` : "");
}

/** /chat/new?expert=<id>[&consultation=<id>]: finds or opens the conversation, then shows it. */
export function StartChatPage() {
  const [params] = useSearchParams();
  const expertId = Number(params.get("expert"));
  const consultationId = params.get("consultation") ? Number(params.get("consultation")) : null;
  const error = useStartConversation(expertId, consultationId);
  return error ? <ErrorBox message={error} /> : <Loading label="Opening conversation…" />;
}
