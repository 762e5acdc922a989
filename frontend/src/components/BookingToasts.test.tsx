import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../auth/AuthContext";
import { RealtimeClient } from "../realtime/client";
import { RealtimeProvider } from "../realtime/RealtimeProvider";
import { mockFetch } from "../test/fetchMock";
import { BookingToasts } from "./BookingToasts";

/** A server end of the tab's socket that the test drives. */
class ServerSocket {
  static last: ServerSocket | null = null;
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(public url: string) {
    ServerSocket.last = this;
  }
  send() {}
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  accept() {
    this.readyState = 1;
    this.onopen?.({});
    this.push("session.ready", { user_id: 5, stream: null, replayed: 0, resync: false });
  }
  push(type: string, data: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify({ v: 1, type, id: `e-${Math.random()}`, ts: "", data }) });
  }
}

const EXPERT = {
  id: 5,
  email: "e@example.com",
  first_name: "Eva",
  last_name: "",
  name: "Eva",
  timezone: "Europe/Paris",
  time_format: "24h",
  roles: { is_expert: true, expert_id: 2, expert_status: "approved", is_staff: false },
};

function booking(id: number, user_name: string) {
  return { id, status: "pending", start_at: "2026-12-01T09:00:00Z", end_at: "2026-12-01T09:30:00Z", topic: "VAT", user_name };
}

beforeEach(() => {
  document.title = "Consult";
  mockFetch((url) => (url.pathname === "/api/v1/auth/session/" ? { status: 200, body: { authenticated: true, user: EXPERT } } : undefined));
});
afterEach(() => vi.unstubAllGlobals());

describe("BookingToasts", () => {
  it("counts new booking requests in the tab title until the dashboard is opened", async () => {
    const client = new RealtimeClient({ url: "ws://test/ws/", WebSocketImpl: ServerSocket, baseDelayMs: 1, maxDelayMs: 2, pingIntervalMs: 0 });
    render(
      <MemoryRouter initialEntries={["/consultations/chat"]}>
        <AuthProvider>
          <RealtimeProvider client={client}>
            <Routes>
              <Route path="*" element={<BookingToasts />} />
            </Routes>
          </RealtimeProvider>
        </AuthProvider>
      </MemoryRouter>,
    );
    await waitFor(() => expect(ServerSocket.last).not.toBeNull());
    act(() => ServerSocket.last!.accept());

    act(() => ServerSocket.last!.push("booking.created", booking(1, "Chris")));
    expect(await screen.findByText("New booking request from Chris: “VAT”")).toBeInTheDocument();
    expect(document.title).toBe("(1) Consult");
    act(() => ServerSocket.last!.push("booking.created", booking(2, "Dana")));
    await waitFor(() => expect(document.title).toBe("(2) Consult"));

    // "Review" opens the dashboard in this visible tab: the requests count as seen.
    await userEvent.click(screen.getAllByRole("link", { name: "Review" })[0]);
    await waitFor(() => expect(document.title).toBe("Consult"));
    // While the dashboard is open and visible, new requests show a toast but no count.
    act(() => ServerSocket.last!.push("booking.created", booking(3, "Eli")));
    expect(await screen.findByText("New booking request from Eli: “VAT”")).toBeInTheDocument();
    expect(document.title).toBe("Consult");
  });
});
