import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { latestSocket, ME, realtimeWrapper } from "../../test/realtime";
import { useVideoCall } from "./useVideoCall";

const loadJitsiApi = vi.fn();
vi.mock("../../lib/jitsi", () => ({ loadJitsiApi: (...args: unknown[]) => loadJitsiApi(...args) }));

let open = false;
beforeEach(() => {
  open = false;
  loadJitsiApi.mockReset();
  loadJitsiApi.mockRejectedValue(new Error("The video service could not be reached."));
  mockFetch((url) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/consultations/consultations/9/meeting-link/") {
      if (!open) return { status: 403, body: { detail: "Not open yet.", join_opens_at: new Date(Date.now() + 2000).toISOString() } };
      return { status: 200, body: { url: "https://meet.example.org/room", room: "room", domain: "meet.example.org", token: null } };
    }
  });
});

function renderCall() {
  const { Wrapper } = realtimeWrapper();
  const container = { current: document.createElement("div") };
  return renderHook(() => useVideoCall(9, container), { wrapper: Wrapper });
}

describe("useVideoCall", () => {
  it("waits for the join window, then tries again by itself", async () => {
    const { result } = renderCall();
    await waitFor(() => expect(result.current.phase.kind).toBe("not-open"));
    open = true;
    // The page re-tries half a second after the window opens (here: in about 2.5 s).
    await waitFor(() => expect(result.current.phase.kind).toBe("script-failed"), { timeout: 5000 });
    expect(loadJitsiApi).toHaveBeenCalledWith("meet.example.org");
  });

  it("shows the end when the other side ends the consultation, and who is in the call", async () => {
    open = true;
    const { result } = renderCall();
    await waitFor(() => expect(result.current.phase.kind).toBe("script-failed"));
    await waitFor(() => expect(latestSocket()).toBeDefined());
    act(() => latestSocket().accept());
    act(() =>
      latestSocket().push("meeting.presence", {
        consultation_id: 9,
        user_id: 3,
        role: "expert",
        client_present: false,
        expert_present: true,
        both_minutes: 4,
      }),
    );
    expect(result.current.presence).toEqual({ other: true, both: 4 });
    act(() => latestSocket().push("meeting.started", { consultation_id: 9, started_by: 3 }));
    expect(result.current.notice).toBe("The other participant has joined the call.");
    act(() => latestSocket().push("meeting.ended", { consultation_id: 9, ended_by: 3 }));
    expect(result.current.phase).toEqual({ kind: "ended", message: "The consultation was ended." });
  });
});
