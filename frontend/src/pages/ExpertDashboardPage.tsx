import { useState } from "react";
import { Link } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { errorMessage } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { ConsultationActions, type Consultation } from "../components/consultations/ConsultationActions";
import { AvailabilityEditor } from "../components/dashboard/AvailabilityEditor";
import { PolicySettings } from "../components/dashboard/PolicySettings";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { formatDateTime, formatMoney, formatRange } from "../lib/time";
import { useAsync } from "../lib/useAsync";
import { useRealtimeEvent, useResyncOnReconnect } from "../realtime/RealtimeProvider";
import { ConsultationSummary } from "./MyConsultationsPage";
import { paths } from "../routes";

/** The booking fields carried by booking.* events. */
interface BookingEvent {
  id: number;
  status: string;
  start_at: string;
  end_at: string;
  topic: string;
  user_name: string;
}

interface LiveAlert {
  key: string;
  kind: "created" | "cancelled" | "rescheduled";
  booking: BookingEvent;
  confirmed?: boolean;
  error?: string;
}

export function ExpertDashboardPage() {
  const { user } = useAuth();
  const [tab, setTab] = useState<"bookings" | "availability">("bookings");
  const dashboard = useAsync(() => unwrap(api.GET("/api/v1/consultations/experts/dashboard/")), []);
  const [alerts, setAlerts] = useState<LiveAlert[]>([]);

  useRealtimeEvent(["booking.created", "booking.cancelled", "booking.rescheduled"], (event) => {
    const booking = event.data;
    const kind = event.type.split(".")[1] as LiveAlert["kind"];
    setAlerts((prev) => [{ key: event.id, kind, booking }, ...prev].slice(0, 10));
    void dashboard.reload();
  });
  useRealtimeEvent(
    ["booking.confirmed", "booking.no_show", "meeting.started", "meeting.ended"],
    () => void dashboard.reload(),
  );
  useResyncOnReconnect(() => void dashboard.reload());

  async function confirmFromAlert(alert: LiveAlert) {
    try {
      await unwrap(api.POST("/api/v1/consultations/consultations/{id}/confirm/", { params: { path: { id: alert.booking.id } } }));
      setAlerts((prev) => prev.map((a) => (a.key === alert.key ? { ...a, confirmed: true, error: undefined } : a)));
      void dashboard.reload();
    } catch (err) {
      setAlerts((prev) => prev.map((a) => (a.key === alert.key ? { ...a, error: errorMessage(err) } : a)));
    }
  }

  function replaced(updated: Consultation) {
    void dashboard.reload();
    setAlerts((prev) => prev.map((a) => (a.booking.id === updated.id && updated.status === "confirmed" ? { ...a, confirmed: true } : a)));
  }

  const d = dashboard.data;

  return (
    <div className="page">
      <div className="section-head">
        <h1>Expert dashboard</h1>
        {user?.roles.expert_id && (
          <Link className="btn btn-small" to={paths.expert(user.roles.expert_id)}>
            View my public profile
          </Link>
        )}
      </div>

      <section aria-label="Live booking alerts" aria-live="polite" data-testid="live-alerts">
        {alerts.map((a) => (
          <div key={a.key} className="card live-alert" style={{ marginBottom: "0.75rem" }} data-testid="live-alert" data-booking-id={a.booking.id}>
            <div className="section-head" style={{ marginBottom: 0 }}>
              <div>
                <strong>
                  {a.kind === "created" ? "New booking" : a.kind === "cancelled" ? "Booking cancelled" : "Booking moved"}
                </strong>{" "}
                — {a.booking.user_name}: “{a.booking.topic}”
                <div className="muted">{formatRange(a.booking.start_at, a.booking.end_at)}</div>
                {a.error && <div className="field-error">{a.error}</div>}
              </div>
              <div className="actions">
                {a.kind !== "cancelled" && a.booking.status === "pending" && !a.confirmed && (
                  <button type="button" className="btn btn-primary btn-small" onClick={() => void confirmFromAlert(a)} data-testid="alert-confirm">
                    Confirm
                  </button>
                )}
                {a.confirmed && <span className="badge status-confirmed">Confirmed</span>}
                <Link className="btn btn-small" to={paths.consultation(a.booking.id)}>
                  Open
                </Link>
                <button
                  type="button"
                  className="btn btn-small"
                  aria-label="Dismiss alert"
                  onClick={() => setAlerts((prev) => prev.filter((x) => x.key !== a.key))}
                >
                  ✕
                </button>
              </div>
            </div>
          </div>
        ))}
      </section>

      <ErrorBox message={dashboard.error} onRetry={() => void dashboard.reload()} />
      {dashboard.loading && !d && <Loading label="Loading dashboard…" />}
      {d && (
        <div className="stats">
          <div className="card stat">
            <span className="muted">To confirm</span>
            <span className="value" data-testid="pending-count">
              {d.pending_confirmation_count}
            </span>
          </div>
          <div className="card stat">
            <span className="muted">Upcoming</span>
            <span className="value">{d.upcoming_count}</span>
          </div>
          <div className="card stat">
            <span className="muted">Earned (completed)</span>
            <span className="value">{formatMoney(d.earnings.completed_total, d.earnings.currency)}</span>
            <small className="muted">{formatMoney(d.earnings.completed_this_month, d.earnings.currency)} this month</small>
          </div>
          <div className="card stat">
            <span className="muted">Booked value</span>
            <span className="value">{formatMoney(d.earnings.upcoming_value, d.earnings.currency)}</span>
          </div>
          <div className="card stat">
            <span className="muted">Rating</span>
            <span className="value">{d.rating.count ? Number(d.rating.average).toFixed(2) : "—"}</span>
            <small className="muted">{d.rating.count} reviews</small>
          </div>
          <div className="card stat">
            <span className="muted">Next free slot</span>
            <span className="value" style={{ fontSize: "1rem" }}>
              {d.next_available_at ? formatDateTime(d.next_available_at) : "None — add hours"}
            </span>
          </div>
        </div>
      )}

      <div className="tabs" role="tablist" aria-label="Dashboard sections">
        <button type="button" role="tab" aria-selected={tab === "bookings"} onClick={() => setTab("bookings")}>
          Bookings
        </button>
        <button type="button" role="tab" aria-selected={tab === "availability"} onClick={() => setTab("availability")}>
          Availability
        </button>
      </div>

      {tab === "bookings" && d && (
        <div className="dash-grid" role="tabpanel">
          <section aria-labelledby="pending-h">
            <h2 id="pending-h">Waiting for your confirmation</h2>
            {d.pending_confirmation.length === 0 ? (
              <Empty>Nothing to confirm.</Empty>
            ) : (
              <ul className="list">
                {d.pending_confirmation.map((c) => (
                  <li key={c.id} className="card" data-testid="pending-item" data-id={c.id}>
                    <ConsultationSummary c={c} />
                    <ConsultationActions consultation={c} onChanged={replaced} compact />
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="upcoming-h">
            <h2 id="upcoming-h">Upcoming</h2>
            {d.upcoming.length === 0 ? (
              <Empty>No upcoming consultations.</Empty>
            ) : (
              <ul className="list">
                {d.upcoming.map((c) => (
                  <li key={c.id} className="card" data-testid="upcoming-item" data-id={c.id}>
                    <ConsultationSummary c={c} />
                    <ConsultationActions consultation={c} onChanged={replaced} compact />
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
      {tab === "availability" && user?.roles.expert_id && (
        <div className="card" role="tabpanel">
          <AvailabilityEditor expertId={user.roles.expert_id} />
        </div>
      )}
      {tab === "availability" && user?.roles.expert_id && (
        <div className="card">
          <PolicySettings />
        </div>
      )}
    </div>
  );
}
