import { useRef } from "react";
import { Link, useParams } from "react-router-dom";

import { ErrorBox, Loading, Notice } from "../components/ui";
import { useVideoCall } from "../features/video/useVideoCall";
import { formatDateTime, relativeFromNow } from "../lib/time";
import styles from "./VideoCallPage.module.css";
import { paths } from "../routes";

export function VideoCallPage() {
  const id = Number(useParams().id);
  const container = useRef<HTMLDivElement>(null);
  const { phase, notice, presence, actionError, join, end } = useVideoCall(id, container);

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
            <button type="button" className="btn btn-small btn-danger" onClick={() => void end()}>
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
      {phase.kind === "error" && <ErrorBox message={phase.message} onRetry={join} />}
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
            <button type="button" className="btn btn-small" style={{ marginTop: "0.5rem" }} onClick={join}>
              Try again
            </button>
          </div>
        </div>
      )}
      {phase.kind === "left" && (
        <Notice>
          You left the call.{" "}
          <button type="button" className="btn btn-small" onClick={join}>
            Rejoin
          </button>
        </Notice>
      )}
      {phase.kind === "ended" && <Notice kind="success">{phase.message}</Notice>}
      <div
        ref={container}
        className={styles.videoFrame}
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
