import { act, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../auth/AuthContext";
import { mockFetch } from "../test/fetchMock";
import { RealtimeClient } from "./client";
import { RealtimeProvider, useResyncOnReconnect } from "./RealtimeProvider";

class ServerSocket {
  static instances: ServerSocket[] = [];
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(public url: string) {
    ServerSocket.instances.push(this);
  }
  send() {}
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  // What the server does on every (re)connect: open, replay, then greet with session.ready.
  accept(resync: boolean, offset = 0) {
    this.readyState = 1;
    this.onopen?.({});
    const data = { user_id: 5, stream: { epoch: "e1", offset }, replayed: 0, resync };
    const ready = { v: 1, type: "session.ready", id: `r-${Math.random()}`, ts: "", data };
    this.onmessage?.({ data: JSON.stringify(ready) });
  }
  push(type: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    this.onmessage?.({ data: JSON.stringify({ v: 1, type, id: `e-${Math.random()}`, ts: "", data, ...extra }) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }
}

const ME = { id: 5, email: "u@example.com", first_name: "U", last_name: "", name: "U", roles: { is_expert: false, expert_id: null, expert_status: null, is_staff: false } };

function Probe({ reload }: { reload: () => void }) {
  useResyncOnReconnect(reload);
  return <p>probe</p>;
}

beforeEach(() => {
  ServerSocket.instances = [];
  mockFetch((url) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
  });
});
afterEach(() => vi.restoreAllMocks());

describe("useResyncOnReconnect", () => {
  it("refetches when events may be lost (new tab, history gone), not after a replayed reconnect", async () => {
    const client = new RealtimeClient({ url: "ws://test/ws/", WebSocketImpl: ServerSocket, baseDelayMs: 1, maxDelayMs: 2, pingIntervalMs: 0 });
    const reload = vi.fn();
    render(
      <AuthProvider>
        <RealtimeProvider client={client}>
          <Probe reload={reload} />
        </RealtimeProvider>
      </AuthProvider>,
    );
    await screen.findByText("probe");
    await waitFor(() => expect(ServerSocket.instances).toHaveLength(1));
    act(() => ServerSocket.instances[0].accept(true, 3)); // a new tab fetches its state
    expect(reload).toHaveBeenCalledTimes(1);

    act(() => ServerSocket.instances[0].drop());
    await waitFor(() => expect(ServerSocket.instances).toHaveLength(2));
    expect(ServerSocket.instances[1].url).toBe("ws://test/ws/?epoch=e1&offset=3");
    act(() => ServerSocket.instances[1].accept(false, 3)); // missed events were replayed
    expect(reload).toHaveBeenCalledTimes(1);

    act(() => ServerSocket.instances[1].push("stream.reset", { stream: { epoch: "e2", offset: 0 } }));
    expect(reload).toHaveBeenCalledTimes(2);
    act(() => ServerSocket.instances[1].drop());
    await waitFor(() => expect(ServerSocket.instances).toHaveLength(3));
    expect(ServerSocket.instances[2].url).toBe("ws://test/ws/?epoch=e2&offset=0");
    act(() => ServerSocket.instances[2].accept(true, 9)); // the history did not cover the gap
    expect(reload).toHaveBeenCalledTimes(3);
  });
});
