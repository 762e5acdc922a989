import { useState } from "react";
import { Link } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { ConsultationActions, type Consultation } from "../components/consultations/ConsultationActions";
import { Empty, ErrorBox, Loading, Notice, StatusBadge } from "../components/ui";
import { formatMoney, formatRange } from "../lib/time";
import { useAsync } from "../lib/useAsync";
import { useRealtimeEvent, useResyncOnReconnect } from "../realtime/RealtimeProvider";
import { paths } from "../routes";

type Tab = "upcoming" | "past";

export const CONSULTATION_EVENTS = [
  "booking.created",
  "booking.confirmed",
  "booking.cancelled",
  "booking.rescheduled",
  "booking.no_show",
  "booking.policy_waived",
  "meeting.started",
  "meeting.ended",
  "review.posted",
  "review.replied",
  "review.hidden",
  "review.restored",
];

export function MyConsultationsPage() {
  const [tab, setTab] = useState<Tab>("upcoming");
  const [page, setPage] = useState(1);
  const list = useAsync(
    () =>
      tab === "upcoming"
        ? unwrap(api.GET("/api/v1/consultations/consultations/upcoming/", { params: { query: { page } } }))
        : unwrap(api.GET("/api/v1/consultations/consultations/past/", { params: { query: { page } } })),
    [tab, page],
  );

  // Any change to one of my bookings (from the other side, another tab, a task) shows at once.
  useRealtimeEvent(CONSULTATION_EVENTS, () => void list.reload());
  useResyncOnReconnect(() => void list.reload());

  const [notice, setNotice] = useState<string | null>(null);

  function replace(updated: Consultation) {
    list.setData((prev) => (prev ? { ...prev, results: prev.results.map((c) => (c.id === updated.id ? updated : c)) } : prev!));
    if (updated.status === "cancelled") {
      const refund =
        updated.refund_amount && Number(updated.refund_amount) > 0
          ? ` A refund of ${formatMoney(updated.refund_amount, updated.currency)} is due.`
          : "";
      setNotice(`“${updated.topic}” is cancelled; it is now under Past.${refund}`);
    } else if (updated.review) {
      setNotice("Thanks for your review. It is now on the expert's profile.");
    }
  }

  return (
    <div className="page">
      <div className="section-head">
        <h1>My consultations</h1>
        <Link className="btn btn-primary" to={paths.experts}>
          Book a new one
        </Link>
      </div>
      <div className="tabs" role="tablist" aria-label="Consultations">
        {(["upcoming", "past"] as Tab[]).map((t) => (
          <button
            key={t}
            role="tab"
            type="button"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls="consultation-panel"
            onClick={() => {
              setTab(t);
              setPage(1);
              setNotice(null);
            }}
          >
            {t === "upcoming" ? "Upcoming" : "Past"}
          </button>
        ))}
      </div>
      {notice && <Notice kind="success">{notice}</Notice>}
      <div id="consultation-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        <ErrorBox message={list.error} onRetry={() => void list.reload()} />
        {list.loading && !list.data && <Loading label="Loading consultations…" />}
        {list.data && list.data.results.length === 0 && (
          <Empty>
            {tab === "upcoming" ? (
              <>
                Nothing booked yet. <Link to={paths.experts}>Find an expert</Link>.
              </>
            ) : (
              "No past consultations."
            )}
          </Empty>
        )}
        {list.data && list.data.results.length > 0 && (
          <ul className="list">
            {list.data.results.map((c) => (
              <li key={c.id} className="card consultation-item" data-testid="consultation-item" data-id={c.id} data-status={c.status}>
                <ConsultationSummary c={c} />
                <ConsultationActions consultation={c} onChanged={replace} compact />
              </li>
            ))}
          </ul>
        )}
        {list.data && (list.data.next || list.data.previous) && (
          <nav className="pager" aria-label="Pages">
            <button className="btn" disabled={!list.data.previous} onClick={() => setPage((p) => p - 1)}>
              Previous
            </button>
            <span>Page {page}</span>
            <button className="btn" disabled={!list.data.next} onClick={() => setPage((p) => p + 1)}>
              Next
            </button>
          </nav>
        )}
      </div>
    </div>
  );
}

export function ConsultationSummary({ c }: { c: Consultation }) {
  const other = c.my_role === "expert" ? c.user.name : c.expert.name;
  return (
    <div>
      <h3>
        <Link to={paths.consultation(c.id)}>{c.topic || "Consultation"}</Link>
      </h3>
      <p style={{ margin: 0 }}>
        {c.my_role === "expert" ? "Client" : "With"}: <strong>{other}</strong>
      </p>
      <p style={{ margin: "0.2rem 0" }}>{formatRange(c.start_at, c.end_at)}</p>
      <p className="actions" style={{ margin: 0 }}>
        <StatusBadge status={c.status} />
        <span className="muted">{Number(c.price) > 0 ? formatMoney(c.price, c.currency) : "Free"}</span>
        {c.review && (
          <span className="stars" aria-label={`You rated it ${c.review.rating} out of 5`}>
            {"★".repeat(c.review.rating)}
          </span>
        )}
      </p>
    </div>
  );
}
