/**
 * The one WebSocket connection of a signed-in tab, shared by every page.
 *
 * - Reconnects with exponential backoff and jitter, so a server restart is not met by every
 *   tab reconnecting in the same millisecond.
 * - On every (re)connect it sends `chat.resume` with the last message seq it has seen per
 *   conversation; the missed messages come back in `chat.resume.ok` and are dispatched as
 *   ordinary `chat.message` events, so pages handle one event type whatever the path.
 * - Once it knows a conversation's change counter (`rev`: every send, edit and delete takes
 *   the next one), it resumes with `{seq, rev}` instead, so edits and deletes made while it was
 *   away come back too; they are dispatched as `chat.message_edited` / `chat.message_deleted`.
 * - Drops stale unread counts: `chat.unread` carries a `version` taken in commit order, and
 *   a count may arrive after a newer one (two sends from different server processes), so
 *   one older than the newest seen is not dispatched.
 * - Drops duplicates: an envelope id is delivered once, and a chat message once per
 *   (conversation, seq) or message id, whether it came live, from resume or twice from both.
 * - `chat.send` requests not yet acknowledged are re-sent after a reconnect; the server
 *   de-duplicates them by `client_id`, so a flaky network never loses or doubles a message.
 * - Every durable event carries its `offset` in the user's stream and the stream's `epoch`.
 *   The client keeps the newest pair and reconnects with `?epoch=…&offset=…`: the server
 *   replays what the tab missed, in order, before `session.ready`. When the history is gone
 *   (`session.ready` with `resync: true`, or `stream.reset` while connected) pages refetch
 *   (useResyncOnReconnect). Handled offsets are acknowledged (`stream.ack`, batched), so
 *   the server emails only booking changes that no tab received.
 */

import type { Envelope, EventOf, EventType } from "./events";

export type { Envelope, EventOf, EventType } from "./events";

export type ConnectionStatus = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export type EventHandler = (event: Envelope) => void;

export interface RealtimeOptions {
  url?: string;
  WebSocketImpl?: WebSocketLike;
  /** First retry delay; doubles each failed attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Returns [0, 1); injectable so tests are deterministic. */
  random?: () => number;
  pingIntervalMs?: number;
  requestTimeoutMs?: number;
  /** Acknowledge handled stream offsets at most this often (0: at once). */
  ackDelayMs?: number;
}

/** A place in the user's event stream: the last event this tab handled. */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

/** The part of the browser WebSocket API this client uses (tests pass a fake). */
export interface WebSocketLike {
  new (url: string): SocketLike;
}
export interface SocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;
/** The server's close code for an unauthenticated socket: retrying cannot help. */
export const CLOSE_UNAUTHENTICATED = 4401;
const SEEN_LIMIT = 2000;

interface PendingRequest {
  type: string;
  data: Record<string, unknown>;
  resolve: (data: Record<string, unknown>) => void;
  reject: (err: RealtimeError) => void;
  timer: ReturnType<typeof setTimeout> | null;
  /** Safe to send again after a reconnect (the server de-duplicates it). */
  resend: boolean;
  sent: boolean;
}

export class RealtimeError extends Error {
  readonly code: string;
  readonly field: string | null;
  readonly data: Record<string, unknown>;
  constructor(code: string, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = "RealtimeError";
    this.code = code;
    this.field = typeof data.field === "string" ? data.field : null;
    this.data = data;
  }
}

export function defaultSocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss" : "ws"}://${host}/ws/`;
}

/** Delay before reconnect attempt `attempt` (0-based): half fixed, half random ("equal jitter"). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Pulls (conversation id, seq, message id, rev) out of a chat message payload. */
export function chatMessageKey(data: Record<string, unknown>): {
  conversationId: string | null;
  seq: number | null;
  messageId: string | null;
  rev: number | null;
} {
  const message = (data.message && typeof data.message === "object" ? data.message : data) as Record<
    string,
    unknown
  >;
  const conv = data.conversation_id ?? message.conversation_id ?? message.conversation;
  const seq = message.seq;
  const id = message.id;
  return {
    conversationId: conv === undefined || conv === null ? null : String(conv),
    seq: typeof seq === "number" ? seq : null,
    messageId: id === undefined || id === null ? null : String(id),
    rev: typeof message.rev === "number" ? message.rev : null,
  };
}

/** A conversation's change counter as this tab knows it. */
interface RevCursor {
  /** Every change up to this rev has been seen: resume asks for what is after it. */
  upTo: number;
  /** Live changes seen past a gap (events may arrive out of order or be lost). */
  ahead: Set<number>;
}

const CHAT_CHANGE_EVENTS = new Set(["chat.message", "chat.message_edited", "chat.message_deleted"]);

let requestCounter = 0;
export function newRequestId(): string {
  requestCounter += 1;
  const rand = Math.random().toString(36).slice(2, 8);
  return `r${Date.now().toString(36)}${requestCounter.toString(36)}${rand}`;
}

export class RealtimeClient {
  private readonly options: Required<Omit<RealtimeOptions, "url" | "WebSocketImpl">> & {
    url: string | null;
    WebSocketImpl: WebSocketLike | null;
  };
  private socket: SocketLike | null = null;
  private wanted = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastInbound = 0;
  private readonly handlers = new Map<string, Set<EventHandler>>();
  private readonly statusHandlers = new Set<(s: ConnectionStatus) => void>();
  private readonly seenEnvelopes = new Set<string>();
  private readonly seenMessages = new Set<string>();
  /** Version of the newest `chat.unread` dispatched. */
  private unreadVersion = 0;
  /** Highest chat message seq seen per conversation: what resume asks from. */
  private readonly cursors = new Map<string, number>();
  /** Change counter per conversation, once known; resume then asks by rev. */
  private readonly revs = new Map<string, RevCursor>();
  /** Newest rev applied per message id, so a stale copy never overwrites a newer one. */
  private readonly messageRevs = new Map<string, number>();
  /** Conversations each in-flight resume asked by rev (their replies are in rev order). */
  private readonly resumesByRev = new Map<string, Set<string>>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly outbox: string[] = [];
  private _status: ConnectionStatus = "idle";
  private stream: StreamPosition | null = null;
  private acked: StreamPosition | null = null;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: RealtimeOptions = {}) {
    this.options = {
      url: options.url ?? null,
      WebSocketImpl: options.WebSocketImpl ?? null,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      random: options.random ?? Math.random,
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      ackDelayMs: options.ackDelayMs ?? 300,
    };
  }

  get status(): ConnectionStatus {
    return this._status;
  }

  /** Current resume cursors (conversation id → last seq), mainly for tests and debugging. */
  get resumeCursors(): Record<string, number> {
    return Object.fromEntries(this.cursors);
  }

  /** The last stream event this tab handled; reconnects resume after it. */
  get streamPosition(): StreamPosition | null {
    return this.stream ? { ...this.stream } : null;
  }

  /** Current rev cursors (conversation id → every change up to it seen). */
  get resumeRevs(): Record<string, number> {
    return Object.fromEntries([...this.revs].map(([conv, cursor]) => [conv, cursor.upTo]));
  }

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.wanted = false;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.onerror = null;
      socket.onopen = null;
      try {
        socket.close(1000, "client stop");
      } catch {
        /* already closed */
      }
    }
    for (const [id, req] of this.pending) {
      if (req.timer) clearTimeout(req.timer);
      req.reject(new RealtimeError("disconnected", "Connection closed."));
      this.pending.delete(id);
    }
    this.outbox.length = 0;
    this.setStatus("closed");
  }

  /** Forget everything tied to the signed-in user (on logout). */
  reset(): void {
    this.stop();
    this.cursors.clear();
    this.revs.clear();
    this.messageRevs.clear();
    this.resumesByRev.clear();
    this.seenEnvelopes.clear();
    this.seenMessages.clear();
    this.stream = null;
    this.acked = null;
    this.setStatus("idle");
  }

  /** Reconnect now instead of waiting out the backoff (e.g. the browser came back online). */
  reconnectNow(): void {
    if (!this.wanted || this._status === "open" || this._status === "connecting") return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.connect();
  }

  /**
   * Subscribe to one event type, or "*" for all. Returns the unsubscribe function. A type
   * declared in the catalogue gets its typed payload; others (replies such as
   * `chat.resume.ok`, local ones such as `session.unauthenticated`) the generic envelope.
   */
  on<K extends EventType>(type: K, handler: (event: EventOf<K>) => void): () => void;
  on(type: string, handler: EventHandler): () => void;
  on(type: string, handler: EventHandler): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler);
    return () => {
      set?.delete(handler);
    };
  }

  onStatus(handler: (status: ConnectionStatus) => void): () => void {
    this.statusHandlers.add(handler);
    return () => {
      this.statusHandlers.delete(handler);
    };
  }

  /**
   * Record that the page already has messages up to `seq` (e.g. loaded over REST), so a
   * resume does not ask for them again and a late live copy is dropped as a duplicate.
   * `rev` is the conversation's `last_rev` as of that load: later resumes then also bring
   * the edits and deletes made after it.
   */
  noteMessage(
    conversationId: string | number,
    seq: number | null,
    messageId?: string | number | null,
    rev?: number | null,
  ): void {
    const conv = String(conversationId);
    if (typeof rev === "number") this.advanceRev(conv, rev);
    if (seq !== null && seq !== undefined) {
      const current = this.cursors.get(conv);
      if (current === undefined || seq > current) this.cursors.set(conv, seq);
      if (seq > 0) this.remember(this.seenMessages, `${conv}#${seq}`);
    }
    if (messageId !== null && messageId !== undefined) this.remember(this.seenMessages, `id:${messageId}`);
  }

  /**
   * Fire-and-forget message; queued while disconnected unless `queue` is false (for
   * ephemeral signals such as typing, which would be stale by the time they went out).
   */
  send(type: string, data: Record<string, unknown> = {}, opts: { queue?: boolean } = {}): string {
    const requestId = newRequestId();
    const frame = JSON.stringify({ type, request_id: requestId, data });
    if (this.socket && this.socket.readyState === OPEN && this._status === "open") this.socket.send(frame);
    else if (opts.queue !== false) this.outbox.push(frame);
    return requestId;
  }

  /**
   * Send and wait for `<type>.ok` (resolves with its data) or `error` (rejects) carrying the
   * same request_id. With `resend`, an unanswered request is sent again after a reconnect.
   */
  request(
    type: string,
    data: Record<string, unknown> = {},
    opts: { resend?: boolean; timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    const requestId = newRequestId();
    return new Promise((resolve, reject) => {
      const req: PendingRequest = {
        type,
        data,
        resolve,
        reject,
        timer: null,
        resend: opts.resend ?? false,
        sent: false,
      };
      const timeout = opts.timeoutMs ?? this.options.requestTimeoutMs;
      if (timeout > 0) {
        req.timer = setTimeout(() => {
          this.pending.delete(requestId);
          reject(new RealtimeError("timeout", "The server did not answer in time."));
        }, timeout);
      }
      this.pending.set(requestId, req);
      if (this.socket && this.socket.readyState === OPEN && this._status === "open") {
        this.socket.send(JSON.stringify({ type, request_id: requestId, data }));
        req.sent = true;
      }
      // Otherwise it goes out in flushPending() once the socket is open.
    });
  }

  private connect(): void {
    const Impl = this.options.WebSocketImpl ?? (globalThis.WebSocket as unknown as WebSocketLike | undefined);
    if (!Impl) return;
    this.setStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    let socket: SocketLike;
    try {
      socket = new Impl(this.socketUrl());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.lastInbound = Date.now();
      this.setStatus("open");
      this.sendResume();
      this.flushPending();
      this.startPing();
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      this.lastInbound = Date.now();
      this.handleFrame(ev.data);
    };
    socket.onerror = () => {
      /* onclose follows and decides about reconnecting */
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopPing();
      this.settleInFlight();
      if (ev.code === CLOSE_UNAUTHENTICATED) {
        this.wanted = false;
        this.setStatus("closed");
        this.dispatch({ v: 1, type: "session.unauthenticated", id: `local-${Date.now()}`, ts: new Date().toISOString(), data: {} });
        return;
      }
      if (this.wanted) this.scheduleReconnect();
      else this.setStatus("closed");
    };
  }

  /**
   * After a drop, an in-flight request may or may not have reached the server. Idempotent
   * ones (resend) go out again; the others fail now rather than hang or run twice.
   */
  private settleInFlight(): void {
    for (const [requestId, req] of this.pending) {
      if (!req.sent) continue;
      if (req.resend) {
        req.sent = false;
      } else {
        this.pending.delete(requestId);
        if (req.timer) clearTimeout(req.timer);
        req.reject(new RealtimeError("disconnected", "Connection lost before the server answered."));
      }
    }
  }

  /** The socket URL, resuming the stream after the last handled event when there is one. */
  private socketUrl(): string {
    const base = this.options.url ?? defaultSocketUrl();
    if (!this.stream) return base;
    const query = `epoch=${encodeURIComponent(this.stream.epoch)}&offset=${this.stream.offset}`;
    return `${base}${base.includes("?") ? "&" : "?"}${query}`;
  }

  /**
   * Track the stream position. Returns false for an event this tab already handled (the
   * server deduplicates too; this covers a replay racing a live copy across reconnects).
   */
  private followStream(envelope: Envelope): boolean {
    const data = envelope.data as Record<string, unknown>;
    if (envelope.type === "session.ready" || envelope.type === "stream.reset") {
      const pos = data.stream as StreamPosition | null | undefined;
      if (pos && typeof pos.epoch === "string" && typeof pos.offset === "number") {
        this.stream = { epoch: pos.epoch, offset: pos.offset };
        this.scheduleAck();
      } else if (envelope.type === "session.ready") {
        this.stream = null;
      }
      return true;
    }
    const { offset, epoch } = envelope;
    if (typeof offset !== "number" || typeof epoch !== "string") return true;
    if (this.stream && this.stream.epoch === epoch && offset <= this.stream.offset) return false;
    this.stream = { epoch, offset };
    this.scheduleAck();
    return true;
  }

  private scheduleAck(): void {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      this.sendAck();
    }, this.options.ackDelayMs);
  }

  private sendAck(): void {
    const pos = this.stream;
    if (!pos) return;
    if (this.acked && this.acked.epoch === pos.epoch && this.acked.offset >= pos.offset) return;
    if (!this.socket || this.socket.readyState !== OPEN || this._status !== "open") return;
    this.socket.send(JSON.stringify({ type: "stream.ack", request_id: newRequestId(), data: { ...pos } }));
    this.acked = { ...pos };
  }

  private scheduleReconnect(): void {
    if (!this.wanted) return;
    const delay = backoffDelay(this.attempt, this.options.baseDelayMs, this.options.maxDelayMs, this.options.random);
    this.attempt += 1;
    this.setStatus("reconnecting");
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.wanted) this.connect();
    }, delay);
  }

  private sendResume(): void {
    const requestId = newRequestId();
    const cursors: Record<string, number | { seq: number; rev: number }> = this.resumeCursors;
    const byRev = new Set<string>();
    for (const [conv, rev] of this.revs) {
      cursors[conv] = { seq: this.cursors.get(conv) ?? 0, rev: rev.upTo };
      byRev.add(conv);
    }
    this.resumesByRev.set(requestId, byRev);
    this.socket?.send(JSON.stringify({ type: "chat.resume", request_id: requestId, data: { cursors } }));
  }

  /** Every change of `conv` up to `rev` is known (e.g. a loaded page or a complete resume). */
  private advanceRev(conv: string, rev: number): void {
    const cursor = this.revs.get(conv);
    if (!cursor) {
      this.revs.set(conv, { upTo: rev, ahead: new Set() });
      return;
    }
    if (rev <= cursor.upTo) return;
    cursor.upTo = rev;
    for (const r of cursor.ahead) if (r <= rev) cursor.ahead.delete(r);
    this.closeRevGap(cursor);
  }

  /**
   * A live change with `rev` arrived. Live revs of a conversation have no gaps, so the cursor
   * only moves over consecutive ones: if one is late or lost, resume asks for it again.
   */
  private noteLiveRev(conv: string, rev: number): void {
    const cursor = this.revs.get(conv);
    // No baseline yet: only a conversation this tab follows by seq adopts one.
    if (!cursor) {
      if (this.cursors.has(conv)) this.revs.set(conv, { upTo: rev, ahead: new Set() });
      return;
    }
    if (rev <= cursor.upTo) return;
    cursor.ahead.add(rev);
    this.closeRevGap(cursor);
  }

  private closeRevGap(cursor: RevCursor): void {
    while (cursor.ahead.has(cursor.upTo + 1)) {
      cursor.upTo += 1;
      cursor.ahead.delete(cursor.upTo);
    }
  }

  /** False if a newer version of this message was already delivered; records it otherwise. */
  private isNewestVersion(data: Record<string, unknown>): boolean {
    const { messageId, rev } = chatMessageKey(data);
    if (messageId === null || rev === null) return true;
    const known = this.messageRevs.get(messageId);
    if (known !== undefined && rev <= known) return false;
    this.messageRevs.delete(messageId);
    this.messageRevs.set(messageId, rev);
    if (this.messageRevs.size > SEEN_LIMIT) {
      const oldest = this.messageRevs.keys().next().value;
      if (oldest !== undefined) this.messageRevs.delete(oldest);
    }
    return true;
  }

  private flushPending(): void {
    const socket = this.socket;
    if (!socket) return;
    for (const frame of this.outbox.splice(0)) socket.send(frame);
    for (const [requestId, req] of this.pending) {
      if (req.sent) continue;
      socket.send(JSON.stringify({ type: req.type, request_id: requestId, data: req.data }));
      req.sent = true;
    }
  }

  private startPing(): void {
    this.stopPing();
    const interval = this.options.pingIntervalMs;
    if (interval <= 0) return;
    this.pingTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      // Nothing heard for two intervals: the connection is dead without having closed.
      if (Date.now() - this.lastInbound > interval * 2) {
        socket.onclose?.({ code: 4000, reason: "heartbeat timeout" });
        try {
          socket.close(4000, "heartbeat timeout");
        } catch {
          /* ignore */
        }
        return;
      }
      socket.send(JSON.stringify({ type: "ping", request_id: newRequestId(), data: {} }));
    }, interval);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.stopPing();
  }

  private handleFrame(raw: unknown): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(String(raw)) as Envelope;
    } catch {
      return;
    }
    if (!envelope || typeof envelope.type !== "string") return;
    envelope.data = (envelope.data ?? {}) as Record<string, unknown>;
    if (!this.followStream(envelope)) return;
    if (envelope.id) {
      if (this.seenEnvelopes.has(envelope.id)) return;
      this.remember(this.seenEnvelopes, envelope.id);
    }
    const requestId = envelope.data.request_id;
    if (typeof requestId === "string" && this.pending.has(requestId)) {
      const req = this.pending.get(requestId)!;
      if (envelope.type === `${req.type}.ok` || envelope.type === "error") {
        this.pending.delete(requestId);
        if (req.timer) clearTimeout(req.timer);
        if (envelope.type === "error") {
          const d = envelope.data;
          req.reject(new RealtimeError(String(d.code ?? "error"), String(d.message ?? "Request refused."), d));
        } else {
          req.resolve(envelope.data);
        }
      }
    }
    if (envelope.type === "chat.resume.ok") {
      this.replayMissed(envelope);
    }
    if (envelope.type === "chat.unread" && !this.isNewestUnread(envelope.data)) return;
    if (CHAT_CHANGE_EVENTS.has(envelope.type)) {
      const { conversationId, rev } = chatMessageKey(envelope.data);
      if (conversationId !== null && rev !== null) this.noteLiveRev(conversationId, rev);
      if (envelope.type === "chat.message" && !this.acceptChatMessage(envelope.data)) return;
      if (!this.isNewestVersion(envelope.data)) return;
    }
    this.dispatch(envelope);
  }

  private isNewestUnread(data: Record<string, unknown>): boolean {
    const version = data.version;
    if (typeof version !== "number") return true;
    if (version < this.unreadVersion) return false;
    this.unreadVersion = version;
    return true;
  }

  /** True if this chat message is new; records it either way. */
  private acceptChatMessage(data: Record<string, unknown>): boolean {
    const { conversationId, seq, messageId } = chatMessageKey(data);
    const keys: string[] = [];
    if (conversationId !== null && seq !== null) keys.push(`${conversationId}#${seq}`);
    if (messageId !== null) keys.push(`id:${messageId}`);
    if (keys.length === 0) return true;
    if (keys.some((k) => this.seenMessages.has(k))) return false;
    for (const k of keys) this.remember(this.seenMessages, k);
    if (conversationId !== null && seq !== null) {
      const current = this.cursors.get(conversationId) ?? 0;
      if (seq > current) this.cursors.set(conversationId, seq);
    }
    return true;
  }

  /**
   * Missed messages come back as `messages` (flat message payloads, by conversation, then by
   * seq, or by rev for conversations resumed by rev). New ones are re-dispatched as
   * `chat.message` so pages need a single handler; changes to ones already seen as
   * `chat.message_edited` / `chat.message_deleted`. A cut page (`has_more`) triggers another
   * resume from the advanced cursors; a complete one sets each followed conversation's rev
   * cursor to the `last_rev` the reply reports.
   */
  private replayMissed(envelope: Envelope): void {
    const data = envelope.data;
    const requestId = typeof data.request_id === "string" ? data.request_id : "";
    const byRev = this.resumesByRev.get(requestId) ?? new Set<string>();
    this.resumesByRev.delete(requestId);
    const messages = Array.isArray(data.messages) ? (data.messages as Array<Record<string, unknown>>) : [];
    const position = (m: Record<string, unknown>) =>
      Number((byRev.has(String(m.conversation_id)) ? m.rev : m.seq) ?? 0);
    const ordered = [...messages].sort((a, b) => {
      const ca = Number(a.conversation_id ?? 0);
      const cb = Number(b.conversation_id ?? 0);
      return ca !== cb ? ca - cb : position(a) - position(b);
    });
    for (const msg of ordered) {
      if (!msg || typeof msg !== "object") continue;
      const { conversationId, seq, messageId, rev } = chatMessageKey(msg);
      const seenBefore =
        (messageId !== null && this.seenMessages.has(`id:${messageId}`)) ||
        (conversationId !== null && seq !== null && this.seenMessages.has(`${conversationId}#${seq}`));
      const isNew = this.acceptChatMessage(msg);
      if (conversationId !== null && rev !== null && byRev.has(conversationId)) this.advanceRev(conversationId, rev);
      const type = msg.deleted === true ? "chat.message_deleted" : seenBefore ? "chat.message_edited" : "chat.message";
      if (!isNew && type === "chat.message") continue;
      if (!this.isNewestVersion(msg)) continue;
      this.dispatch({
        v: envelope.v,
        type,
        id: `resume-${String(msg.conversation_id)}-${String(msg.seq ?? msg.id)}-${String(rev ?? "")}`,
        ts: envelope.ts,
        data: msg,
      });
    }
    if (data.has_more === true && ordered.length > 0) {
      this.sendResume();
      return;
    }
    // Complete: every change up to the reported last_rev was in this reply or comes live
    // (the socket was subscribed before the server read them).
    const conversations = Array.isArray(data.conversations)
      ? (data.conversations as Array<Record<string, unknown>>)
      : [];
    for (const c of conversations) {
      const conv = String(c.conversation_id);
      if (typeof c.last_rev !== "number") continue;
      if (this.cursors.has(conv) || this.revs.has(conv)) this.advanceRev(conv, c.last_rev);
    }
  }

  private dispatch(envelope: Envelope): void {
    for (const key of [envelope.type, "*"]) {
      const set = this.handlers.get(key);
      if (!set) continue;
      for (const handler of [...set]) {
        try {
          handler(envelope);
        } catch (err) {
          // One broken page handler must not stop the others from hearing the event.
          setTimeout(() => {
            throw err;
          });
        }
      }
    }
  }

  private remember(set: Set<string>, key: string): void {
    set.add(key);
    if (set.size > SEEN_LIMIT) {
      const oldest = set.values().next().value;
      if (oldest !== undefined) set.delete(oldest);
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (this._status === status) return;
    this._status = status;
    for (const handler of [...this.statusHandlers]) handler(status);
  }
}
