import { Link, useLocation, useParams } from "react-router-dom";

import type { Schemas } from "../api/client";
import { AddToCalendar } from "../components/booking/AddToCalendar";
import { ConsultationActions } from "../components/consultations/ConsultationActions";
import { PolicyPanel } from "../components/consultations/PolicyPanel";
import { ReviewCard } from "../components/reviews/ReviewCard";
import { ReviewForm } from "../components/reviews/ReviewForm";
import { moneyInWords } from "../lib/money";
import { ErrorBox, Loading, StatusBadge } from "../components/ui";
import { formatDateTime, formatRange, timeZoneLabel, viewerTimeZone } from "../lib/time";
import { useConsultation, useNow } from "../features/consultations/useConsultation";
import { paths } from "../routes";
import styles from "./ConsultationDetailPage.module.css";


export function ConsultationDetailPage() {
  const id = Number(useParams().id);
  const location = useLocation();
  const justBooked = (location.state as { justBooked?: boolean } | null)?.justBooked;
  const detail = useConsultation(id);
  const now = useNow();

  if (detail.loading && !detail.data) return <Loading label="Loading consultation…" />;
  if (detail.error || !detail.data)
    return (
      <div className="page">
        <ErrorBox message={detail.error ?? "Not found."} onRetry={() => void detail.reload()} />
        <Link to={paths.myConsultations}>← My consultations</Link>
      </div>
    );
  const c = detail.data;
  const isExpert = c.my_role === "expert";

  return (
    <div className="page stack">
      <p>
        <Link to={isExpert ? paths.dashboard : paths.myConsultations}>← {isExpert ? "Dashboard" : "My consultations"}</Link>
      </p>
      {justBooked && c.status === "pending" && (
        <section className={`card ${styles.bookingSuccess}`} aria-labelledby="booked-title" data-testid="booking-success">
          <h2 id="booked-title">Request sent to {c.expert.name}</h2>
          <p>
            {formatRange(c.start_at, c.end_at)} <span className="muted">({timeZoneLabel(viewerTimeZone())})</span>. {c.expert.name} has been told and
            will confirm shortly; this page updates by itself and you get an email.
          </p>
          <p className="muted" style={{ marginBottom: 0 }}>Put it in your calendar now:</p>
          <AddToCalendar event={calendarEvent(c)} fileName={`consultation-${c.id}.ics`} />
        </section>
      )}
      <section className="card" aria-labelledby="c-title">
        <div className="section-head">
          <h1 id="c-title">{c.topic || "Consultation"}</h1>
          <span data-testid="consultation-status" data-status={c.status}>
            <StatusBadge status={c.status} />
          </span>
        </div>
        <dl className="kv">
          <dt>When</dt>
          <dd>
            {formatRange(c.start_at, c.end_at)} <span className="muted">({timeZoneLabel(viewerTimeZone())})</span>
          </dd>
          <dt>{isExpert ? "Client" : "Expert"}</dt>
          <dd>{isExpert ? c.user.name : <Link to={paths.expert(c.expert.id)}>{c.expert.name}</Link>}</dd>
          <dt>Length</dt>
          <dd>{c.duration_minutes} minutes</dd>
          <dt>Price</dt>
          <dd data-testid="money">{moneyInWords(c, isExpert ? "expert" : "client", isExpert ? c.user.name : c.expert.name)}</dd>
          {c.notes && (
            <>
              <dt>Notes</dt>
              <dd className="bio">{c.notes}</dd>
            </>
          )}
          {c.confirmed_at && (
            <>
              <dt>Confirmed</dt>
              <dd>{formatDateTime(c.confirmed_at)}</dd>
            </>
          )}
          {c.meeting_started_at && (
            <>
              <dt>Call started</dt>
              <dd>{formatDateTime(c.meeting_started_at)}</dd>
            </>
          )}
          {(c.attendance.client_joined || c.attendance.expert_joined) && (
            <>
              <dt>In the call</dt>
              <dd data-testid="attendance">
                {isExpert ? "Client" : "You"}: {c.attendance.client_minutes} min · {isExpert ? "you" : "expert"}: {c.attendance.expert_minutes} min ·
                together: <strong>{c.attendance.both_minutes} min</strong>
                {(c.attendance.client_present || c.attendance.expert_present) && (
                  <span className="muted">
                    {" "}
                    (in the call now: {[c.attendance.client_present && (isExpert ? "client" : "you"), c.attendance.expert_present && (isExpert ? "you" : "expert")].filter(Boolean).join(", ")})
                  </span>
                )}
              </dd>
            </>
          )}
          {c.no_show_party && (
            <>
              <dt>No-show</dt>
              <dd>{c.no_show_party === "expert" ? "The expert did not join: the client gets a full refund." : "The client did not join: the booking's cancellation policy applies."}</dd>
            </>
          )}
          {c.meeting_ended_at && (
            <>
              <dt>Call ended</dt>
              <dd>{formatDateTime(c.meeting_ended_at)}</dd>
            </>
          )}
          {c.status === "cancelled" && (
            <>
              <dt>Cancelled</dt>
              <dd>
                {c.cancelled_at && formatDateTime(c.cancelled_at)}
                {c.cancellation_reason && <> — “{c.cancellation_reason}”</>}
              </dd>
            </>
          )}
          {c.rescheduled_from_id && (
            <>
              <dt>Moved from</dt>
              <dd>
                <Link to={paths.consultation(c.rescheduled_from_id)}>the earlier booking</Link>
              </dd>
            </>
          )}
          {c.rescheduled_to_id && (
            <>
              <dt>Moved to</dt>
              <dd>
                <Link to={paths.consultation(c.rescheduled_to_id)}>the new time</Link>
              </dd>
            </>
          )}
        </dl>
        {c.status === "pending" && !isExpert && <p className="muted">Waiting for {c.expert.name} to confirm.</p>}
        {!justBooked && (c.status === "pending" || c.status === "confirmed") && Date.parse(c.end_at) > now && (
          <details className={styles.calendarDetails}>
            <summary>Add to calendar</summary>
            <AddToCalendar event={calendarEvent(c)} fileName={`consultation-${c.id}.ics`} />
          </details>
        )}
        <div style={{ marginTop: "1rem" }}>
          <ConsultationActions consultation={c} onChanged={(u) => detail.setData(u)} />
        </div>
        <p style={{ marginTop: "1rem" }}>
          {isExpert ? (
            <span className="muted">Reply to your client from Messages.</span>
          ) : (
            <Link to={paths.startChat(c.expert.id, c.id)}>Message {c.expert.name}</Link>
          )}
        </p>
      </section>
      {(c.review || c.can_review) && (
        <section className="card" aria-labelledby="review-heading" data-testid="consultation-review">
          <h2 id="review-heading">{c.review ? (isExpert ? "The client's review" : "Your review") : "Review"}</h2>
          {c.review ? (
            <ReviewCard review={c.review} expertName={c.expert.name} onChanged={(review) => detail.setData({ ...c, review })} />
          ) : (
            <ReviewForm consultationId={c.id} expertName={c.expert.name} onDone={(review) => detail.setData({ ...c, review, can_review: false })} />
          )}
        </section>
      )}
      <PolicyPanel consultation={c} onChanged={(u) => detail.setData(u)} />
    </div>
  );
}

function calendarEvent(c: Schemas["Consultation"]) {
  const other = c.my_role === "expert" ? c.user.name : c.expert.name;
  const url = `${window.location.origin}${paths.consultation(c.id)}`;
  return {
    uid: `consultation-${c.id}@${window.location.host || "consult"}`,
    title: `Consultation with ${other}${c.topic ? `: ${c.topic}` : ""}`,
    description: `Video call on Consult. Join from the consultation page: ${url}`,
    start: c.start_at,
    end: c.end_at,
    url,
  };
}
