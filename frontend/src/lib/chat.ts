/** Pure helpers for chat threads (kept free of React so they are easy to test). */
import type { Schemas } from "../api/client";

export type Message = Schemas["Message"];

/** A message on screen: stored, or still on its way (optimistic). */
export interface ThreadMessage extends Message {
  pending?: "sending" | "failed";
  /** Upload progress for attachments, 0..1. */
  progress?: number;
}

/**
 * Insert or replace a message: matched by id, else by client_id (an optimistic copy
 * replaced by the stored one), then kept ordered by seq with pending ones last.
 */
export function upsertMessage(list: ThreadMessage[], incoming: ThreadMessage): ThreadMessage[] {
  let replaced = false;
  const next = list.map((m) => {
    if (replaced) return m;
    const sameId = incoming.id > 0 && m.id === incoming.id;
    const sameClient = !!incoming.client_id && m.client_id === incoming.client_id && (m.id <= 0 || incoming.id <= 0 || m.id === incoming.id);
    if (sameId || sameClient) {
      replaced = true;
      // A late optimistic update must not overwrite the stored version.
      if (incoming.pending && !m.pending) return m;
      if (incoming.pending) return { ...m, ...incoming };
      // A stored copy replaces the optimistic one whole, so no "sending" state lingers.
      const { pending: _p, progress: _g, ...storedFields } = incoming;
      return storedFields;
    }
    return m;
  });
  if (!replaced) next.push(incoming);
  return sortMessages(next);
}

export function sortMessages(list: ThreadMessage[]): ThreadMessage[] {
  return [...list].sort((a, b) => {
    const pa = a.pending ? 1 : 0;
    const pb = b.pending ? 1 : 0;
    if (pa !== pb) return pa - pb;
    return a.seq - b.seq;
  });
}

export function mergePage(list: ThreadMessage[], page: Message[]): ThreadMessage[] {
  return page.reduce<ThreadMessage[]>((acc, m) => upsertMessage(acc, m), list);
}

export type Receipt = "sending" | "failed" | "sent" | "read";

/** What the sender sees under their own message. */
export function receiptFor(message: ThreadMessage, otherLastReadSeq: number): Receipt {
  if (message.pending === "failed") return "failed";
  if (message.pending) return "sending";
  if (message.read_at || message.seq <= otherLastReadSeq) return "read";
  return "sent";
}

export function newClientId(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function optimisticMessage(fields: {
  conversationId: number;
  senderId: number;
  text: string;
  clientId: string;
  replyTo: number | null;
  attachmentName?: string;
}): ThreadMessage {
  return {
    conversation_id: fields.conversationId,
    id: -Date.now() - Math.floor(Math.random() * 1000),
    seq: Number.MAX_SAFE_INTEGER,
    rev: 0, // not stored yet: the server's echo brings the real rev
    client_id: fields.clientId,
    sender_id: fields.senderId,
    kind: fields.attachmentName ? "file" : "text",
    text: fields.text,
    reply_to: fields.replyTo,
    attachment: fields.attachmentName
      ? { url: "", name: fields.attachmentName, size: 0, content_type: "" }
      : null,
    created_at: new Date().toISOString(),
    edited_at: null,
    deleted: false,
    deleted_at: null,
    read_at: null,
    pending: "sending",
  };
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(0)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

export function lastSeq(list: ThreadMessage[]): number {
  return list.reduce((max, m) => (!m.pending && m.seq > max ? m.seq : max), 0);
}

/** Messages shown together under one avatar/name/time: same sender, same minute, same day. */
export interface MessageGroup {
  key: string;
  senderId: number;
  /** Local calendar day (YYYY-MM-DD) of the group, for day separators. */
  day: string;
  messages: ThreadMessage[];
}

export function groupMessages(list: ThreadMessage[], dayOf: (iso: string) => string): MessageGroup[] {
  const groups: MessageGroup[] = [];
  for (const m of list) {
    const day = dayOf(m.created_at);
    const minute = m.created_at.slice(0, 16); // YYYY-MM-DDTHH:MM in UTC: same minute everywhere
    const last = groups[groups.length - 1];
    const lastMsg = last?.messages[last.messages.length - 1];
    if (last && last.senderId === m.sender_id && last.day === day && lastMsg && lastMsg.created_at.slice(0, 16) === minute) {
      last.messages.push(m);
    } else {
      groups.push({ key: String(m.client_id || m.id), senderId: m.sender_id, day, messages: [m] });
    }
  }
  return groups;
}

/**
 * The one message of mine that carries the visible receipt: "Seen" on the newest of my
 * messages the other side has read, "Sent" on my newest message when it is past that.
 * Returns the seq of each (0 when none).
 */
export function receiptMarkers(list: ThreadMessage[], me: number, otherLastReadSeq: number): { seen: number; sent: number } {
  let seen = 0;
  let newestMine = 0;
  for (const m of list) {
    if (m.pending || m.sender_id !== me || m.deleted) continue;
    if (m.seq > newestMine) newestMine = m.seq;
    if ((m.read_at || m.seq <= otherLastReadSeq) && m.seq > seen) seen = m.seq;
  }
  return { seen, sent: newestMine > seen ? newestMine : 0 };
}
