import "../styles/agenda.css";

import { useState } from "react";
import { Link } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { errorMessage } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { ConsultationActions, type Consultation } from "../components/consultations/ConsultationActions";
import { AvailabilityEditor } from "../components/dashboard/AvailabilityEditor";
import { PolicySettings } from "../components/dashboard/PolicySettings";
import { Empty, ErrorBox, Loading, StatusBadge } from "../components/ui";
import { addDays, formatDate, formatDateTime, formatMoney, formatRange, formatTime, localDateKey, todayKey } from "../lib/time";
import { useAsync } from "../lib/useAsync";
import { MIN_BIO_LENGTH } from "./ExpertProfileEditPage";
import { useRealtimeEvent, useResyncOnReconnect } from "../realtime/RealtimeProvider";
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
  /** One alert per booking: later events update it instead of adding another. */
  bookingId: number;
  kind: "created" | "cancelled" | "rescheduled";
  booking: BookingEvent;
  error?: string;
}

const ALERT_TITLES: Record<LiveAlert["kind"], string> = {
  created: "New booking",
  cancelled: "Booking cancelled",
  rescheduled: "Booking moved",
};

/** Applies a booking event to the alert list: a new alert, or the current state of an old one. */
export function applyBookingEvent(prev: LiveAlert[], type: string, booking: BookingEvent): LiveAlert[] {
  const existing = prev.find((a) => a.bookingId === booking.id);
  const kind = type.split(".")[1];
  if (kind === "created" || kind === "cancelled" || kind === "rescheduled") {
    const updated: LiveAlert = { bookingId: booking.id, kind, booking: { ...existing?.booking, ...booking }, error: undefined };
    return [updated, ...prev.filter((a) => a.bookingId !== booking.id)].slice(0, 10);
  }
  // confirmed, no_show…: only the state of an alert already shown changes.
  if (!existing) return prev;
  return prev.map((a) => (a.bookingId === booking.id ? { ...a, booking: { ...a.booking, status: booking.status ?? a.booking.status } } : a));
}

export function ExpertDashboardPage() {
  const { user } = useAuth();
  const [tab, setTab] = useState<"bookings" | "availability">("bookings");
  const dashboard = useAsync(() => unwrap(api.GET("/api/v1/consultations/experts/dashboard/")), []);
  const [alerts, setAlerts] = useState<LiveAlert[]>([]);

  useRealtimeEvent(["booking.created", "booking.cancelled", "booking.rescheduled", "booking.confirmed", "booking.no_show"], (event) => {
    const booking = event.data as unknown as BookingEvent;
    const status = event.type === "booking.confirmed" ? "confirmed" : event.type === "booking.cancelled" ? "cancelled" : booking.status;
    setAlerts((prev) => applyBookingEvent(prev, event.type, { ...booking, status }));
    void dashboard.reload();
  });
  useRealtimeEvent(["meeting.started", "meeting.ended"], () => void dashboard.reload());
  useResyncOnReconnect(() => void dashboard.reload());

  function setAlertStatus(id: number, status: string, error?: string) {
    setAlerts((prev) => prev.map((a) => (a.bookingId === id ? { ...a, booking: { ...a.booking, status }, error } : a)));
  }

  async function confirmFromAlert(alert: LiveAlert) {
    try {
      await unwrap(api.POST("/api/v1/consultations/consultations/{id}/confirm/", { params: { path: { id: alert.bookingId } } }));
      setAlertStatus(alert.bookingId, "confirmed");
      void dashboard.reload();
    } catch (err) {
      setAlertStatus(alert.bookingId, alert.booking.status, errorMessage(err));
    }
  }

  function replaced(updated: Consultation) {
    void dashboard.reload();
    setMore((m) => ({ ...m, items: m.items.map((c) => (c.id === updated.id ? updated : c)) }));
    setAlertStatus(updated.id, updated.status);
  }

  const d = dashboard.data;
  // The dashboard sends the first upcoming bookings; "Show more" pages through the rest.
  const [more, setMore] = useState<{ items: Consultation[]; page: number; done: boolean; loading: boolean; error?: string }>({
    items: [],
    page: 0,
    done: false,
    loading: false,
  });
  async function showMore() {
    const page = more.page + 1;
    setMore((m) => ({ ...m, loading: true, error: undefined }));
    try {
      const res = await unwrap(api.GET("/api/v1/consultations/experts/consultations/", { params: { query: { upcoming: "true", page } } }));
      setMore((m) => ({ items: [...m.items, ...res.results], page, done: !res.next, loading: false }));
    } catch (err) {
      setMore((m) => ({ ...m, loading: false, error: errorMessage(err) }));
    }
  }
  // Each booking once: requests needing an answer first, then the rest by day.
  const requests = d?.pending_confirmation ?? [];
  const upcomingAll = dedupe([...(d?.upcoming ?? []), ...more.items]);
  const upcoming = upcomingAll.filter((c) => c.status !== "pending" && c.status !== "cancelled");
  const byDay = groupByDay(upcoming);
  const hasMore = !!d && !more.done && upcomingAll.length < d.upcoming_count;

  return (
    <div className="page">
      <div className="section-head">
        <h1>Expert dashboard</h1>
        {user?.roles.expert_id && (
          <div className="actions">
            <Link className="btn btn-small" to={paths.editProfile}>
              Edit profile &amp; photo
            </Link>
            <Link className="btn btn-small" to={paths.expert(user.roles.expert_id)}>
              View my public profile
            </Link>
          </div>
        )}
      </div>

      {user?.roles.expert_id && <OnboardingChecklist expertId={user.roles.expert_id} onOpenAvailability={() => setTab("availability")} />}

      <section aria-label="Live booking alerts" aria-live="polite" data-testid="live-alerts">
        {alerts.map((a) => (
          <div key={a.bookingId} className="card live-alert" style={{ marginBottom: "0.75rem" }} data-testid="live-alert" data-booking-id={a.bookingId} data-status={a.booking.status}>
            <div className="section-head" style={{ marginBottom: 0 }}>
              <div>
                <strong>{ALERT_TITLES[a.kind]}</strong> — {a.booking.user_name}: “{a.booking.topic}”
                <div className="muted">{formatRange(a.booking.start_at, a.booking.end_at)}</div>
                {a.error && <div className="field-error">{a.error}</div>}
              </div>
              <div className="actions">
                {a.booking.status === "pending" ? (
                  <button type="button" className="btn btn-primary btn-small" onClick={() => void confirmFromAlert(a)} data-testid="alert-confirm">
                    Confirm
                  </button>
                ) : (
                  <StatusBadge status={a.booking.status} />
                )}
                <Link className="btn btn-small" to={paths.consultation(a.bookingId)}>
                  Open
                </Link>
                <button
                  type="button"
                  className="btn btn-small"
                  aria-label="Dismiss alert"
                  onClick={() => setAlerts((prev) => prev.filter((x) => x.bookingId !== a.bookingId))}
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
          <div className="card stat" data-testid="earnings">
            <span className="muted">Earned</span>
            <span className="value">{formatMoney(d.earnings.earned, d.earnings.currency)}</span>
            <small className="muted">
              {formatMoney(d.earnings.earned_this_month, d.earnings.currency)} this month
              {Number(d.earnings.refunded) > 0 && <> · {formatMoney(d.earnings.refunded, d.earnings.currency)} refunded</>}
              {Number(d.earnings.waived) > 0 && <> · {formatMoney(d.earnings.waived, d.earnings.currency)} waived</>} ·{" "}
              <a href="/api/v1/consultations/experts/me/ledger.csv" download title="Every amount owed, refunded and waived, as a spreadsheet">
                CSV
              </a>
            </small>
          </div>
          <div className="card stat">
            <span className="muted">Expected</span>
            <span className="value">{formatMoney(d.earnings.expected, d.earnings.currency)}</span>
            <small className="muted">from bookings still ahead</small>
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
          Agenda
        </button>
        <button type="button" role="tab" aria-selected={tab === "availability"} onClick={() => setTab("availability")}>
          Availability
        </button>
      </div>

      {tab === "bookings" && d && (
        <div role="tabpanel" aria-label="Agenda">
          <section className="agenda-section" aria-labelledby="requests-h">
            <h2 id="requests-h">
              Requests waiting for you {requests.length > 0 && <span className="count-badge">{requests.length}</span>}
            </h2>
            {requests.length === 0 ? (
              <Empty>No requests to answer. New ones appear here the moment they are made.</Empty>
            ) : (
              <ul className="list">
                {requests.map((c) => (
                  <AgendaItem key={c.id} c={c} onChanged={replaced} testId="pending-item" />
                ))}
              </ul>
            )}
          </section>
          <section className="agenda-section" aria-labelledby="upcoming-h">
            <h2 id="upcoming-h">Upcoming</h2>
            {upcoming.length === 0 ? (
              <Empty>Nothing confirmed yet.</Empty>
            ) : (
              byDay.map(([day, items]) => (
                <div key={day}>
                  <h3 className="agenda-day">{dayHeading(items[0].start_at)}</h3>
                  <ul className="list">
                    {items.map((c) => (
                      <AgendaItem key={c.id} c={c} onChanged={replaced} testId="upcoming-item" />
                    ))}
                  </ul>
                </div>
              ))
            )}
            {hasMore && (
              <div className="agenda-more">
                <button type="button" className="btn" onClick={() => void showMore()} disabled={more.loading} data-testid="show-more">
                  {more.loading ? "Loading…" : `Show more (${d.upcoming_count - upcomingAll.length} later)`}
                </button>
                {more.error && <p className="field-error">{more.error}</p>}
              </div>
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
        <div className="card" style={{ marginTop: "1rem" }}>
          <PolicySettings />
        </div>
      )}
    </div>
  );
}

/** Keeps the first copy of each booking (the dashboard's, then the pages'). */
function dedupe(items: Consultation[]): Consultation[] {
  const seen = new Set<number>();
  return items.filter((c) => !seen.has(c.id) && seen.add(c.id));
}

function groupByDay(items: Consultation[]): [string, Consultation[]][] {
  const map = new Map<string, Consultation[]>();
  for (const c of [...items].sort((a, b) => a.start_at.localeCompare(b.start_at))) {
    const key = localDateKey(c.start_at);
    map.set(key, [...(map.get(key) ?? []), c]);
  }
  return [...map.entries()];
}

function dayHeading(iso: string): string {
  const key = localDateKey(iso);
  if (key === todayKey()) return "Today";
  if (key === addDays(todayKey(), 1)) return "Tomorrow";
  return formatDate(iso);
}

function AgendaItem({ c, onChanged, testId }: { c: Consultation; onChanged: (c: Consultation) => void; testId: string }) {
  return (
    <li className="card agenda-item" data-testid={testId} data-id={c.id}>
      <div className="agenda-time">
        {formatTime(c.start_at)}–{formatTime(c.end_at)}
        <small>{c.status === "pending" ? formatDate(c.start_at) : `${c.duration_minutes} min`}</small>
      </div>
      <div>
        <h3>
          <Link to={paths.consultation(c.id)}>{c.topic || "Consultation"}</Link>
        </h3>
        <p style={{ margin: 0 }}>
          {c.user.name} · <span className="muted">{Number(c.price) > 0 ? formatMoney(c.price, c.currency) : "Free"}</span>
        </p>
        {c.notes && <p className="muted" style={{ margin: "0.2rem 0 0" }}>{c.notes}</p>}
      </div>
      <div className="agenda-actions">
        <StatusBadge status={c.status} />
        <ConsultationActions consultation={c} onChanged={onChanged} compact />
      </div>
    </li>
  );
}

function OnboardingChecklist({ expertId, onOpenAvailability }: { expertId: number; onOpenAvailability: () => void }) {
  const state = useAsync(
    () =>
      Promise.all([
        unwrap(api.GET("/api/v1/consultations/experts/me/")),
        unwrap(api.GET("/api/v1/consultations/experts/{id}/availability/", { params: { path: { id: expertId } } })),
      ]),
    [expertId],
  );
  useRealtimeEvent(["verification.updated"], () => void state.reload());
  if (!state.data) return null;
  const [profile, availability] = state.data;
  type Step = { done: boolean; label: string; action: string } & ({ onClick: () => void } | { to: string });
  const steps: Step[] = [
    { done: availability.rules.length > 0, label: "Set your weekly hours", action: "Set hours", onClick: onOpenAvailability },
    { done: profile.session_lengths.length > 0, label: `Choose session lengths${profile.session_lengths.length ? ` (now ${profile.session_lengths.join(", ")} min)` : ""}`, action: "Choose", onClick: onOpenAvailability },
    { done: profile.bio.trim().length >= MIN_BIO_LENGTH, label: "Write a short bio (a few sentences clients read before booking)", action: "Write bio", to: `${paths.editProfile}#about` },
    { done: !!profile.avatar_url, label: "Add a photo", action: "Add photo", to: `${paths.editProfile}#photo` },
  ];
  const left = steps.filter((s) => !s.done).length;
  if (left === 0) return null;
  const listed = steps[0].done && steps[1].done;
  return (
    <section className="card onboarding" aria-labelledby="onboarding-h" style={{ marginBottom: "1rem" }} data-testid="onboarding">
      <h2 id="onboarding-h" style={{ margin: 0 }}>
        Get ready for your first booking
      </h2>
      <p className="muted" style={{ margin: "0.3rem 0 0" }}>
        {listed
          ? `You are listed and bookable. ${left === 1 ? "One step" : `${left} steps`} left to make your profile stand out.`
          : "You are approved. Clients can find and book you once your weekly hours are set."}
      </p>
      <ol>
        {steps.map((s) => (
          <li key={s.label} className={s.done ? "done" : undefined}>
            <span className={`check${s.done ? " done" : ""}`} aria-hidden="true">
              {s.done ? "✓" : ""}
            </span>
            <span className="label">
              {s.label}
              <span className="visually-hidden">{s.done ? " (done)" : " (to do)"}</span>
            </span>
            {!s.done && "to" in s && (
              <Link className="btn btn-small" to={s.to}>
                {s.action}
              </Link>
            )}
            {!s.done && "onClick" in s && (
              <button type="button" className="btn btn-small" onClick={s.onClick}>
                {s.action}
              </button>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
