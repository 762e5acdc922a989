import { createContext, useCallback, useContext, useEffect, useEffectEvent, useState, useSyncExternalStore, type ReactNode } from "react";

import { useAuth } from "../auth/AuthContext";
import { RealtimeClient, type ConnectionStatus, type EventHandler } from "./client";
import type { EventOf, EventType } from "./events";

const RealtimeContext = createContext<RealtimeClient | null>(null);

/** Owns the tab's single RealtimeClient: connected while someone is signed in. */
export function RealtimeProvider({ children, client }: { children: ReactNode; client?: RealtimeClient }) {
  const { user, refresh } = useAuth();
  const [instance] = useState(() => client ?? new RealtimeClient());
  const userId = user?.id ?? null;

  useEffect(() => {
    if (userId === null) {
      instance.reset();
      return;
    }
    instance.start();
    const onOnline = () => instance.reconnectNow();
    window.addEventListener("online", onOnline);
    return () => {
      window.removeEventListener("online", onOnline);
      instance.reset();
    };
  }, [instance, userId]);

  // The server closed with 4401: the session expired; find out who we are now.
  useEffect(() => instance.on("session.unauthenticated", () => void refresh()), [instance, refresh]);
  // Becoming an expert changes the roles in /auth/me (menus, dashboard access).
  useEffect(() => instance.on("verification.updated", () => void refresh()), [instance, refresh]);

  return <RealtimeContext.Provider value={instance}>{children}</RealtimeContext.Provider>;
}

export function useRealtime(): RealtimeClient {
  const ctx = useContext(RealtimeContext);
  if (!ctx) throw new Error("useRealtime outside RealtimeProvider");
  return ctx;
}

/**
 * Subscribe a component to event types for as long as it is mounted; the latest handler is used.
 * Declared types (realtime/catalogue.py) give the handler typed payloads, no casts needed.
 */
export function useRealtimeEvent<K extends EventType>(types: K | K[], handler: (event: EventOf<K>) => void): void;
export function useRealtimeEvent(types: string | string[], handler: EventHandler): void;
export function useRealtimeEvent(types: string | string[], handler: EventHandler): void {
  const client = useRealtime();
  // An effect event always sees the latest handler without re-subscribing on every render.
  const onEvent = useEffectEvent(handler);
  const key = Array.isArray(types) ? types.join(",") : types;
  useEffect(() => {
    const offs = key.split(",").map((t) => client.on(t, (e) => onEvent(e)));
    return () => offs.forEach((off) => off());
  }, [client, key]);
}

/**
 * Run `reload` when this tab may have missed events it cannot get back: a new tab's first
 * connection, a reconnect the stream's history no longer covers (`session.ready` with
 * `resync`), or history lost while connected (`stream.reset`). Other reconnects replay the
 * missed events instead, so pages built from events stay current without a fetch.
 */
export function useResyncOnReconnect(reload: () => void): void {
  useRealtimeEvent(["session.ready", "stream.reset"], (event) => {
    if (event.type === "stream.reset" || event.data.resync) reload();
  });
}

export function useConnectionStatus(): ConnectionStatus {
  const client = useRealtime();
  // The client is an external store: subscribe to its status, read the current value.
  const subscribe = useCallback((notify: () => void) => client.onStatus(() => notify()), [client]);
  return useSyncExternalStore(subscribe, () => client.status);
}
