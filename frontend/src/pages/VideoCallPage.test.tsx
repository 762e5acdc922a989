import { render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../auth/AuthContext";
import { RequireAuth } from "../auth/RequireAuth";
import { RealtimeClient } from "../realtime/client";
import { RealtimeProvider } from "../realtime/RealtimeProvider";
import { mockFetch } from "../test/fetchMock";
import { VideoCallPage } from "./VideoCallPage";

const loadJitsiApi = vi.fn();
vi.mock("../lib/jitsi", () => ({ loadJitsiApi: (...args: unknown[]) => loadJitsiApi(...args) }));

const ME = { id: 5, email: "erin@example.com", first_name: "Erin", last_name: "", name: "Erin", roles: { is_expert: false, expert_id: null, expert_status: null, is_staff: false } };
const LINK = {
  consultation_id: 9,
  url: "https://meet.example.org/consult-abc123?jwt=tok",
  room: "consult-abc123",
  domain: "meet.example.org",
  token: "tok",
  jwt_enabled: true,
  is_moderator: false,
  join_opens_at: "2026-01-01T09:50:00Z",
  join_closes_at: "2026-01-01T11:00:00Z",
  meeting_started_at: null,
};

// A socket that never opens: this page must work from REST alone.
const Never = class {
  readyState = 0;
  onopen = null;
  onclose = null;
  onerror = null;
  onmessage = null;
  send() {}
  close() {}
};

function renderCall(realtime = new RealtimeClient({ WebSocketImpl: Never, pingIntervalMs: 0 })) {
  return render(
    <MemoryRouter initialEntries={["/consultations/9/call"]}>
      <AuthProvider>
        <RealtimeProvider client={realtime}>
          <Routes>
            {/* As in App.tsx: the page mounts once the session is known, so Jitsi gets the name. */}
            <Route
              path="/consultations/:id/call"
              element={
                <RequireAuth>
                  <VideoCallPage />
                </RequireAuth>
              }
            />
          </Routes>
        </RealtimeProvider>
      </AuthProvider>
    </MemoryRouter>,
  );
}

let calls: ReturnType<typeof mockFetch>;
beforeEach(() => {
  calls = mockFetch((url, { method }) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/consultations/consultations/9/meeting-link/") return { status: 200, body: LINK };
    if (url.pathname === "/api/v1/consultations/consultations/9/start/" && method === "POST")
      return { status: 200, body: { consultation_id: 9, status: "confirmed" } };
  });
  vi.stubGlobal("requestAnimationFrame", (cb: FrameRequestCallback) => setTimeout(() => cb(0), 0));
});
afterEach(() => {
  vi.unstubAllGlobals();
  loadJitsiApi.mockReset();
});

describe("VideoCallPage", () => {
  it("shows a clear message and the direct link when Jitsi's script cannot load", async () => {
    loadJitsiApi.mockRejectedValue(new Error("The video service could not be reached."));
    renderCall();
    const fallback = await screen.findByTestId("jitsi-fallback");
    expect(fallback).toHaveTextContent("The video window could not be shown here.");
    expect(fallback).toHaveTextContent("The video service could not be reached.");
    expect(screen.getByRole("link", { name: "https://meet.example.org/consult-abc123" })).toHaveAttribute("href", LINK.url);
    expect(loadJitsiApi).toHaveBeenCalledWith("meet.example.org");
  });

  it("embeds the room with the meeting JWT and marks the meeting started on join", async () => {
    const listeners: Record<string, () => void> = {};
    const constructed: unknown[] = [];
    class FakeJitsi {
      constructor(domain: string, options: Record<string, unknown>) {
        constructed.push({ domain, ...options });
      }
      addListener(event: string, handler: () => void) {
        listeners[event] = handler;
      }
      executeCommand() {}
      dispose() {}
    }
    loadJitsiApi.mockResolvedValue(FakeJitsi);
    renderCall();
    await waitFor(() => expect(constructed).toHaveLength(1));
    expect(constructed[0]).toMatchObject({ domain: "meet.example.org", roomName: "consult-abc123", jwt: "tok", userInfo: { displayName: "Erin" } });
    listeners.videoConferenceJoined();
    await waitFor(() => expect(calls.some((c) => c.path === "/api/v1/consultations/consultations/9/start/")).toBe(true));
  });

  it("reports joining and leaving the conference to the server over the socket", async () => {
    const listeners: Record<string, () => void> = {};
    class FakeJitsi {
      addListener(event: string, handler: () => void) {
        listeners[event] = handler;
      }
      executeCommand() {}
      dispose() {}
    }
    loadJitsiApi.mockResolvedValue(FakeJitsi);
    const realtime = new RealtimeClient({ WebSocketImpl: Never, pingIntervalMs: 0 });
    const request = vi.spyOn(realtime, "request").mockResolvedValue({});
    renderCall(realtime);
    await waitFor(() => expect(listeners.videoConferenceJoined).toBeDefined());
    listeners.videoConferenceJoined();
    expect(request).toHaveBeenCalledWith("meeting.presence", { consultation_id: 9, state: "joined" }, expect.anything());
    listeners.videoConferenceLeft();
    expect(request).toHaveBeenLastCalledWith("meeting.presence", { consultation_id: 9, state: "left" }, expect.anything());
    expect(request).toHaveBeenCalledTimes(2);
  });

  it("explains when the call is not open yet instead of failing", async () => {
    mockFetch((url) => {
      if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
      if (url.pathname.endsWith("/meeting-link/"))
        return {
          status: 403,
          body: {
            error: { code: "too_early", message: "The meeting opens 10 minutes before the start.", fields: {} },
            join_opens_at: "2099-01-01T09:50:00Z",
          },
        };
    });
    renderCall();
    expect(await screen.findByText(/The meeting opens 10 minutes before the start\./)).toBeInTheDocument();
    expect(loadJitsiApi).not.toHaveBeenCalled();
  });
});
