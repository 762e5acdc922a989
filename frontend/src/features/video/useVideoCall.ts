/**
 * The video call for one consultation: fetches the meeting link, loads Jitsi into `container`,
 * reports presence (join/leave) over /ws/, marks the call started, re-tries when the join window
 * opens, follows the other side's start/end and presence. The page renders `phase`.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { useAuth } from "../../auth/AuthContext";
import { loadJitsiApi, type JitsiApi } from "../../lib/jitsi";
import { useRealtime, useRealtimeEvent, useResyncOnReconnect } from "../../realtime/RealtimeProvider";

export type MeetingLink = Schemas["MeetingLink"];

export type Phase =
  | { kind: "loading" }
  | { kind: "not-open"; message: string; opensAt: string | null }
  | { kind: "error"; message: string }
  | { kind: "script-failed"; link: MeetingLink; message: string }
  | { kind: "in-call"; link: MeetingLink }
  | { kind: "left"; link: MeetingLink }
  | { kind: "ended"; message: string };

/** How long before the join window opens this page still waits to re-try by itself. */
const AUTO_RETRY_WITHIN_MS = 6 * 60 * 60 * 1000;

export function useVideoCall(id: number, container: RefObject<HTMLDivElement | null>) {
  const { user } = useAuth();
  const realtime = useRealtime();
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [presence, setPresence] = useState<{ other: boolean; both: number } | null>(null);
  const jitsi = useRef<JitsiApi | null>(null);
  const startedSent = useRef(false);
  const attempt = useRef(0);
  // Whether the server was told we are in the call (Jitsi's videoConferenceJoined).
  const inConference = useRef(false);
  // Read at join time; a refreshed user object must not tear down a running call.
  const userInfo = useRef({ displayName: user?.name, email: user?.email });
  useLayoutEffect(() => {
    userInfo.current = { displayName: user?.name, email: user?.email };
  }, [user?.name, user?.email]);

  /** Attendance comes from the call itself: join/leave go to the server over /ws/. A closed
   * socket counts as leaving (server side); after a reconnect we report the join again. */
  const reportPresence = useCallback(
    (state: "joined" | "left") => {
      inConference.current = state === "joined";
      realtime
        .request("meeting.presence", { consultation_id: id, state }, { timeoutMs: 10_000 })
        .catch(() => {
          /* best effort: the start/end buttons and the server's cleanup still apply */
        });
    },
    [id, realtime],
  );

  const dispose = useCallback(() => {
    if (inConference.current) reportPresence("left");
    try {
      jitsi.current?.dispose();
    } catch {
      /* the iframe may already be gone */
    }
    jitsi.current = null;
  }, [reportPresence]);

  const markStarted = useCallback(async () => {
    if (startedSent.current) return;
    startedSent.current = true;
    try {
      await unwrap(api.POST("/api/v1/consultations/consultations/{id}/start/", { params: { path: { id } } }));
    } catch (err) {
      // 409: the other participant started it first, which is fine.
      if (!(err instanceof ApiError && err.status === 409)) setActionError(errorMessage(err));
    }
  }, [id]);

  /** With the link in hand: load Jitsi's script and open the call in `container`. */
  const enter = useCallback(
    async (mine: number, link: MeetingLink) => {
      try {
        const JitsiMeetExternalAPI = await loadJitsiApi(link.domain);
        if (mine !== attempt.current) return;
        setPhase({ kind: "in-call", link });
        // Wait a frame so the container is shown before handing it to Jitsi.
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        if (!container.current || mine !== attempt.current) return;
        dispose();
        const apiInstance = new JitsiMeetExternalAPI(link.domain, {
          roomName: link.room,
          jwt: link.token ?? undefined,
          parentNode: container.current,
          width: "100%",
          height: "100%",
          userInfo: userInfo.current,
          configOverwrite: { prejoinPageEnabled: false, disableDeepLinking: true },
        });
        jitsi.current = apiInstance;
        apiInstance.addListener("videoConferenceJoined", () => {
          reportPresence("joined");
          void markStarted();
        });
        apiInstance.addListener("videoConferenceLeft", () => reportPresence("left"));
        apiInstance.addListener("readyToClose", () => {
          dispose();
          setPhase({ kind: "left", link });
        });
      } catch (err) {
        if (mine === attempt.current) setPhase({ kind: "script-failed", link, message: errorMessage(err) });
      }
    },
    [container, dispose, markStarted, reportPresence],
  );

  /** Asks for the meeting link; state changes only when the answer comes. */
  const connect = useCallback(() => {
    const mine = ++attempt.current;
    return unwrap(api.GET("/api/v1/consultations/consultations/{id}/meeting-link/", { params: { path: { id } } })).then(
      (link) => (mine === attempt.current ? enter(mine, link) : undefined),
      (err: unknown) => {
        if (mine !== attempt.current) return;
        if (err instanceof ApiError && err.status === 403) {
          const opensAt = typeof err.body.join_opens_at === "string" ? err.body.join_opens_at : null;
          setPhase({ kind: "not-open", message: err.message, opensAt });
        } else setPhase({ kind: "error", message: errorMessage(err) });
      },
    );
  }, [id, enter]);

  /** Join (again) from a button: show "preparing" and clear the last error first. */
  const join = useCallback(() => {
    setPhase({ kind: "loading" });
    setActionError(null);
    void connect();
  }, [connect]);

  useEffect(() => {
    void connect();
    return () => {
      attempt.current += 1; // a join still in flight must not build an iframe after unmount
      dispose();
    };
  }, [connect, dispose]);

  // Re-try by itself once the join window opens.
  useEffect(() => {
    if (phase.kind !== "not-open" || !phase.opensAt) return;
    const wait = new Date(phase.opensAt).getTime() - Date.now();
    if (wait > AUTO_RETRY_WITHIN_MS) return;
    const t = window.setTimeout(join, Math.max(1000, wait + 500));
    return () => window.clearTimeout(t);
  }, [phase, join]);

  useResyncOnReconnect(() => {
    if (inConference.current) reportPresence("joined");
  });

  useRealtimeEvent("meeting.presence", (event) => {
    const d = event.data;
    if (d.consultation_id !== id || d.user_id === user?.id) return;
    setPresence({ other: d.role === "client" ? d.client_present : d.expert_present, both: d.both_minutes });
  });

  useRealtimeEvent(["meeting.started", "meeting.ended"], (event) => {
    const d = event.data as { consultation_id?: number; started_by?: number; ended_by?: number };
    if (d.consultation_id !== id) return;
    if (event.type === "meeting.started" && d.started_by !== user?.id) setNotice("The other participant has joined the call.");
    if (event.type === "meeting.ended") {
      dispose();
      setPhase({ kind: "ended", message: d.ended_by === user?.id ? "You ended the consultation." : "The consultation was ended." });
    }
  });

  /** Ends the consultation for both (after the user confirms). */
  async function end() {
    if (!window.confirm("End the consultation for both of you? If the other side never joined, it is recorded as their missed call instead of completed.")) return;
    try {
      const state = await unwrap(api.POST("/api/v1/consultations/consultations/{id}/end/", { params: { path: { id } } }));
      dispose();
      // The server decides from who joined: completed, or the absent side's no-show.
      const missed = state.status === "no_show" || state.status === "cancelled";
      setPhase({ kind: "ended", message: missed ? "You closed the call as missed: the other side never joined. The consultation page shows what it means for the money." : "You ended the consultation." });
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  return { phase, notice, presence, actionError, join, end };
}
