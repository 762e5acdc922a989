/** Chat data as the API returns it, for the chat hook tests. */
import type { Conversation } from "./useChatThread";
import type { Message } from "../../lib/chat";

export function message(seq: number, fields: Partial<Message> = {}): Message {
  return {
    conversation_id: 7,
    id: 100 + seq,
    seq,
    rev: seq,
    client_id: `c-${seq}`,
    sender_id: 9,
    kind: "text",
    text: `message ${seq}`,
    reply_to: null,
    attachment: null,
    created_at: new Date(Date.UTC(2026, 0, 1, 9, seq)).toISOString(),
    edited_at: null,
    deleted: false,
    deleted_at: null,
    read_at: null,
    ...fields,
  };
}

export function conversation(fields: Partial<Conversation> = {}): Conversation {
  return {
    id: 7,
    user: { id: 5, name: "Erin" },
    expert: { id: 3, user_id: 9, name: "Amélie", headline: "Tax", avatar_url: "" },
    consultation_id: null,
    status: "active",
    blocked_by: null,
    last_seq: 3,
    last_rev: 3,
    last_message_at: null,
    last_message: null,
    unread_count: 0,
    my_last_read_seq: 1,
    other_last_read_seq: 2,
    other_participant: { id: 9, name: "Amélie" },
    created_at: "2026-01-01T08:00:00Z",
    ...fields,
  };
}
