import { useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { errorMessage } from "../api/http";
import { ChatThread } from "../components/chat/ChatThread";
import { ErrorBox, Empty, Loading } from "../components/ui";
import { Avatar } from "../components/Avatar";
import { BackIcon } from "../components/icons";
import { relativeFromNow } from "../lib/time";
import { useAsync } from "../lib/useAsync";
import { useRealtimeEvent } from "../realtime/RealtimeProvider";
import { paths } from "../routes";

type Conversation = Schemas["Conversation"];

export function ChatPage() {
  const params = useParams();
  const [search] = useSearchParams();
  // Notification links use ?conversation=<id>.
  const fromQuery = search.get("conversation");
  const activeId = params.id ? Number(params.id) : fromQuery ? Number(fromQuery) : null;
  const [showArchived, setShowArchived] = useState(false);
  const list = useAsync(
    () =>
      unwrap(
        api.GET("/api/v1/consultations/chat/list/", {
          params: { query: showArchived ? { status: "archived" } : {} },
        }),
      ).then((page) => page.results),
    [showArchived],
  );

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

  return (
    <div className={`page chat-layout${activeId ? " has-thread" : ""}`}>
      <aside className="conversation-list card" aria-label="Conversations">
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
                  <span className="conv-text">
                    <strong>{c.other_participant.name}</strong>
                    <span>{preview(c)}</span>
                  </span>
                  <span className="conv-side">
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
        <div className="thread-wrap">
          <ChatThread
            key={activeId}
            conversationId={activeId}
            headStart={
              <Link className="btn btn-icon back-to-list" to={paths.chat}>
                <BackIcon />
                <span className="visually-hidden">All conversations</span>
              </Link>
            }
          />
        </div>
      ) : (
        <section className="thread card empty-thread" aria-label="No conversation selected">
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

function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => (b.last_message_at ?? b.created_at).localeCompare(a.last_message_at ?? a.created_at));
}

/** /chat/new?expert=<id>[&consultation=<id>]: finds or opens the conversation, then shows it. */
export function StartChatPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const expertId = Number(params.get("expert"));
  const consultationId = params.get("consultation") ? Number(params.get("consultation")) : null;

  useEffect(() => {
    let live = true;
    if (!expertId) {
      setError("No expert was given.");
      return;
    }
    unwrap(api.POST("/api/v1/consultations/chat/", { body: { expert_id: expertId, consultation_id: consultationId } }))
      .then((conv) => live && navigate(paths.conversation(conv.id), { replace: true }))
      .catch((err) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [expertId, consultationId, navigate]);

  return error ? <ErrorBox message={error} /> : <Loading label="Opening conversation…" />;
}
