/**
 * Types of the server's WebSocket events, generated from realtime/catalogue.py
 * (`npm run gen:events` writes schema.d.ts; never edit that file by hand).
 */
import type { components } from "./schema";

/** Event type → the shape of its `data`. */
export type EventMap = components["schemas"]["EventMap"];
export type EventType = keyof EventMap;

export interface Envelope<T = Record<string, unknown>> {
  v: number;
  type: string;
  id: string;
  ts: string;
  data: T;
  /** Position in the user's stream (durable events only). */
  offset?: number;
  /** The stream's epoch when the event was published (durable events only). */
  epoch?: string;
}

/** The envelope of one declared event type; for a union of types, a union discriminated by `type`. */
export type EventOf<K extends EventType> = {
  [P in K]: Envelope<EventMap[P]> & { type: P };
}[K];

export type ChatMessageEvent = EventMap["chat.message"];
export type BookingEventData = EventMap["booking.created"];
export type NotificationEventData = EventMap["notification.created"];
