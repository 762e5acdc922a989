import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { ApiError, errorMessage } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { ErrorBox, Loading, Notice } from "../components/ui";
import { loadJitsiApi, type JitsiApi } from "../lib/jitsi";
import { formatDateTime, relativeFromNow } from "../lib/time";
import { useRealtime, useRealtimeEvent, useResyncOnReconnect } from "../realtime/RealtimeProvider";
import { paths } from "../routes";

type MeetingLink = Schemas["MeetingLink"];

type Phase =
  | { kind: "loading" }
  | { kind: "not-open"; message: string; opensAt: string | null }
  | { kind: "error"; message: string }
  | { kind: "script-failed"; link: MeetingLink; message: string }
  | { kind: "in-call"; link: MeetingLink }
  | { kind: "left"; link: MeetingLink }
  | { kind: "ended"; message: string };

export function VideoCallPage() {
  const id = Number(useParams().id);
  const { user } = useAuth();
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const container = useRef<HTMLDivElement>(null);
  const jitsi = useRef<JitsiApi | null>(null);
  const startedSent = useRef(false);
  // Read at join time; a refreshed user object must not tear down a running call.
  const userInfo = useRef({ displayName: user?.name, email: user?.email });
  userInfo.current = { displayName: user?.name, email: user?.email };
  const attempt = useRef(0);
  const realtime = useRealtime();
  // Whether the server was told we are in the call (Jitsi's videoConferenceJoined).
  const inConference = useRef(false);
  const [presence, setPresence] = useState<{ other: boolean; both: number } | null>(null);

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

  const join = useCallback(async () => {
    const mine = ++attempt.current;
    setPhase({ kind: "loading" });
    setActionError(null);
    let link: MeetingLink;
    try {
      link = await unwrap(api.GET("/api/v1/consultations/consultations/{id}/meeting-link/", { params: { path: { id } } }));
    } catch (err) {
      if (mine !== attempt.current) return;
      if (err instanceof ApiError && err.status === 403) {
        const opensAt = typeof err.body.join_opens_at === "string" ? err.body.join_opens_at : null;
        setPhase({ kind: "not-open", message: err.message, opensAt });
      } else setPhase({ kind: "error", message: errorMessage(err) });
      return;
    }
    try {
      const JitsiMeetExternalAPI = await loadJitsiApi(link.domain);
      if (mine !== attempt.current) return;
      setPhase({ kind: "in-call", link });
      // Wait a frame so the container is mounted before handing it to Jitsi.
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
  }, [id, markStarted, reportPresence, dispose]);

  useEffect(() => {
    void join();
    return () => {
      attempt.current += 1; // a join still in flight must not build an iframe after unmount
      dispose();
    };
  }, [join, dispose]);

  // Re-try by itself once the join window opens.
  useEffect(() => {
    if (phase.kind !== "not-open" || !phase.opensAt) return;
    const wait = new Date(phase.opensAt).getTime() - Date.now();
    if (wait > 6 * 60 * 60 * 1000) return;
    const t = window.setTimeout(() => void join(), Math.max(1000, wait + 500));
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

  async function endConsultation() {
    if (!window.confirm("End the consultation for both of you? It will be marked completed.")) return;
    try {
      await unwrap(api.POST("/api/v1/consultations/consultations/{id}/end/", { params: { path: { id } } }));
      dispose();
      setPhase({ kind: "ended", message: "You ended the consultation." });
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  const link = "link" in phase ? phase.link : null;

  return (
    <div className="page stack">
      <div className="section-head">
        <h1>Video call</h1>
        <div className="actions">
          <Link className="btn btn-small" to={paths.consultation(id)}>
            Consultation details
          </Link>
          {(phase.kind === "in-call" || phase.kind === "left" || phase.kind === "script-failed") && (
            <button type="button" className="btn btn-small btn-danger" onClick={endConsultation}>
              End consultation
            </button>
          )}
        </div>
      </div>
      {notice && <Notice>{notice}</Notice>}
      {presence && phase.kind === "in-call" && (
        <p className="muted" data-testid="call-presence">
          {presence.other ? "The other participant is in the call." : "The other participant is not in the call right now."} Together so far:{" "}
          {presence.both} min.
        </p>
      )}
      <ErrorBox message={actionError} />
      {phase.kind === "loading" && <Loading label="Preparing the call…" />}
      {phase.kind === "error" && <ErrorBox message={phase.message} onRetry={() => void join()} />}
      {phase.kind === "not-open" && (
        <Notice kind="warning">
          {phase.message}
          {phase.opensAt && (
            <>
              {" "}
              The call opens {formatDateTime(phase.opensAt)} ({relativeFromNow(phase.opensAt)}); this page joins by itself then.
            </>
          )}
        </Notice>
      )}
      {phase.kind === "script-failed" && (
        <div className="alert alert-warning" role="alert" data-testid="jitsi-fallback">
          <div>
            <strong>The video window could not be shown here.</strong> {phase.message}
            <p style={{ margin: "0.4rem 0 0" }}>
              Open the call directly instead:{" "}
              <a href={phase.link.url} target="_blank" rel="noreferrer">
                {phase.link.url.split("?")[0]}
              </a>
            </p>
            <button type="button" className="btn btn-small" style={{ marginTop: "0.5rem" }} onClick={() => void join()}>
              Try again
            </button>
          </div>
        </div>
      )}
      {phase.kind === "left" && (
        <Notice>
          You left the call.{" "}
          <button type="button" className="btn btn-small" onClick={() => void join()}>
            Rejoin
          </button>
        </Notice>
      )}
      {phase.kind === "ended" && <Notice kind="success">{phase.message}</Notice>}
      <div
        ref={container}
        className="video-frame"
        hidden={phase.kind !== "in-call"}
        aria-label="Video call"
        role="region"
      />
      {link && phase.kind === "in-call" && (
        <p className="muted">
          Trouble with the video? <a href={link.url} target="_blank" rel="noreferrer">Open the call in a new tab</a>.
        </p>
      )}
    </div>
  );
}
