/**
 * A fake /ws/ server for hook and component tests: the real RealtimeClient talks to it, so
 * tests see what the product does on (re)connect, replies and live events.
 */
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router-dom";

import { AuthProvider } from "../auth/AuthContext";
import { RealtimeClient } from "../realtime/client";
import { RealtimeProvider } from "../realtime/RealtimeProvider";

export interface Frame {
  type: string;
  request_id: string;
  data: Record<string, unknown>;
}

export class ServerSocket {
  static instances: ServerSocket[] = [];
  readyState = 0;
  sent: Frame[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(public url: string) {
    ServerSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Frame);
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  /** Opens the socket and greets the client like the server does. */
  accept() {
    this.readyState = 1;
    this.onopen?.({});
    this.push("session.ready", { user_id: 5, stream: { epoch: "e1", offset: 0 }, replayed: 0, resync: false });
  }
  push(type: string, data: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify({ v: 1, type, id: `${type}-${Math.random()}`, ts: "", data }) });
  }
  /** Answers a request frame with `<type>.ok` (or an error). */
  reply(frame: Frame, data: Record<string, unknown>, error?: { code: string; message: string }) {
    if (error) this.push("error", { request_id: frame.request_id, ...error });
    else this.push(`${frame.type}.ok`, { request_id: frame.request_id, ...data });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }
  framesOfType(type: string): Frame[] {
    return this.sent.filter((f) => f.type === type);
  }
}

export const latestSocket = (): ServerSocket => ServerSocket.instances[ServerSocket.instances.length - 1];

/** A signed-in tree (AuthProvider + RealtimeProvider + router) for renderHook's wrapper. */
export function realtimeWrapper() {
  ServerSocket.instances = [];
  const client = new RealtimeClient({ url: "ws://test/ws/", WebSocketImpl: ServerSocket, pingIntervalMs: 0, baseDelayMs: 1, maxDelayMs: 2 });
  function Wrapper({ children }: { children: ReactNode }) {
    return (
      <MemoryRouter>
        <AuthProvider>
          <RealtimeProvider client={client}>{children}</RealtimeProvider>
        </AuthProvider>
      </MemoryRouter>
    );
  }
  return { client, Wrapper };
}

export const ME = {
  id: 5,
  email: "erin@example.com",
  first_name: "Erin",
  last_name: "",
  name: "Erin",
  timezone: "UTC",
  time_format: "24h",
  roles: { is_expert: false, expert_id: null, expert_status: null, is_staff: false },
};
