import { useState } from "react";
import { Link } from "react-router-dom";

import { useAuth } from "../auth/AuthContext";
import { ConsultationActions, type Consultation } from "../components/consultations/ConsultationActions";
import { AvailabilityEditor } from "../components/dashboard/AvailabilityEditor";
import { PolicySettings } from "../components/dashboard/PolicySettings";
import { Empty, ErrorBox, Loading, StatusBadge } from "../components/ui";
import { useDashboard, useOnboarding, type LiveAlert } from "../features/dashboard/useDashboard";
import { addDays, formatDate, formatDateTime, formatMoney, formatRange, formatTime, localDateKey, timeZoneLabel, todayKey } from "../lib/time";
import { MIN_BIO_LENGTH } from "./ExpertProfileEditPage";
import { paths } from "../routes";
import styles from "./ExpertDashboardPage.module.css";

const ALERT_TITLES: Record<LiveAlert["kind"], string> = {
  created: "New booking",
  cancelled: "Booking cancelled",
  rescheduled: "Booking moved",
};

export function ExpertDashboardPage() {
  const { user } = useAuth();
  const [tab, setTab] = useState<"bookings" | "availability">("bookings");
  const dashboard = useDashboard();
  const d = dashboard.data;
  const { requests, upcoming } = dashboard;
  const byDay = groupByDay(upcoming);

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
        {dashboard.alerts.map((a) => (
          <div key={a.bookingId} className={`card ${styles.liveAlert}`} data-testid="live-alert" data-booking-id={a.bookingId} data-status={a.booking.status}>
            <div className="section-head">
              <div>
                <strong>{ALERT_TITLES[a.kind]}</strong> — {a.booking.user_name}: “{a.booking.topic}”
                <div className="muted">{formatRange(a.booking.start_at, a.booking.end_at)}</div>
                {a.error && <div className="field-error">{a.error}</div>}
              </div>
              <div className="actions">
                {a.booking.status === "pending" ? (
                  <button type="button" className="btn btn-primary btn-small" onClick={() => void dashboard.confirmFromAlert(a)} data-testid="alert-confirm">
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
                  onClick={() => dashboard.dismissAlert(a.bookingId)}
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
        <div className={styles.stats}>
          <div className={`card ${styles.stat}`}>
            <span className="muted">To confirm</span>
            <span className={styles.value} data-testid="pending-count">
              {d.pending_confirmation_count}
            </span>
          </div>
          <div className={`card ${styles.stat}`}>
            <span className="muted">Upcoming</span>
            <span className={styles.value}>{d.upcoming_count}</span>
          </div>
          <div className={`card ${styles.stat}`} data-testid="earnings">
            <span className="muted">Earned</span>
            <span className={styles.value}>{formatMoney(d.earnings.earned, d.earnings.currency)}</span>
            <small className="muted">
              {formatMoney(d.earnings.earned_this_month, d.earnings.currency)} this month
              {Number(d.earnings.refunded) > 0 && <> · {formatMoney(d.earnings.refunded, d.earnings.currency)} refunded</>}
              {Number(d.earnings.waived) > 0 && <> · {formatMoney(d.earnings.waived, d.earnings.currency)} waived</>} ·{" "}
              <a href="/api/v1/consultations/experts/me/ledger.csv" download title="Every amount owed, refunded and waived, as a spreadsheet">
                CSV
              </a>
            </small>
          </div>
          <div className={`card ${styles.stat}`}>
            <span className="muted">Expected</span>
            <span className={styles.value}>{formatMoney(d.earnings.expected, d.earnings.currency)}</span>
            <small className="muted">from bookings still ahead</small>
          </div>
          <div className={`card ${styles.stat}`}>
            <span className="muted">Rating</span>
            <span className={styles.value}>{d.rating.count ? Number(d.rating.average).toFixed(2) : "—"}</span>
            <small className="muted">{d.rating.count} reviews</small>
          </div>
          <div className={`card ${styles.stat}`}>
            <span className="muted">Next free slot</span>
            <span className={`${styles.value} ${styles.valueSmall}`}>
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
          <p className="muted" data-testid="agenda-zone">
            Times in {timeZoneLabel()}.
          </p>
          <section className={styles.agendaSection} aria-labelledby="requests-h">
            <h2 id="requests-h">
              Requests waiting for you {requests.length > 0 && <span className="count-badge">{requests.length}</span>}
            </h2>
            {requests.length === 0 ? (
              <Empty>No requests to answer. New ones appear here the moment they are made.</Empty>
            ) : (
              <ul className="list">
                {requests.map((c) => (
                  <AgendaItem key={c.id} c={c} onChanged={dashboard.replaced} testId="pending-item" />
                ))}
              </ul>
            )}
          </section>
          <section className={styles.agendaSection} aria-labelledby="upcoming-h">
            <h2 id="upcoming-h">Upcoming</h2>
            {upcoming.length === 0 ? (
              <Empty>Nothing confirmed yet.</Empty>
            ) : (
              byDay.map(([day, items]) => (
                <div key={day}>
                  <h3 className={styles.agendaDay}>{dayHeading(items[0].start_at)}</h3>
                  <ul className="list">
                    {items.map((c) => (
                      <AgendaItem key={c.id} c={c} onChanged={dashboard.replaced} testId="upcoming-item" />
                    ))}
                  </ul>
                </div>
              ))
            )}
            {dashboard.hasMore && (
              <div className={styles.agendaMore}>
                <button type="button" className="btn" onClick={() => void dashboard.showMore()} disabled={dashboard.moreLoading} data-testid="show-more">
                  {dashboard.moreLoading ? "Loading…" : `Show more (${dashboard.laterCount} later)`}
                </button>
                {dashboard.moreError && <p className="field-error">{dashboard.moreError}</p>}
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
        <div className={`card ${styles.policyCard}`}>
          <PolicySettings />
        </div>
      )}
    </div>
  );
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
    <li className={`card ${styles.agendaItem}`} data-testid={testId} data-id={c.id}>
      <div className={styles.agendaTime}>
        {formatTime(c.start_at)}–{formatTime(c.end_at)}
        <small>{c.status === "pending" ? formatDate(c.start_at) : `${c.duration_minutes} min`}</small>
      </div>
      <div>
        <h3>
          <Link to={paths.consultation(c.id)}>{c.topic || "Consultation"}</Link>
        </h3>
        <p className={styles.who}>
          {c.user.name} · <span className="muted">{Number(c.price) > 0 ? formatMoney(c.price, c.currency) : "Free"}</span>
        </p>
        {c.notes && <p className={`muted ${styles.notes}`}>{c.notes}</p>}
      </div>
      <div className={styles.agendaActions}>
        <StatusBadge status={c.status} />
        <ConsultationActions consultation={c} onChanged={onChanged} compact />
      </div>
    </li>
  );
}

function OnboardingChecklist({ expertId, onOpenAvailability }: { expertId: number; onOpenAvailability: () => void }) {
  const onboarding = useOnboarding(expertId);
  if (!onboarding) return null;
  const { profile, hasWeeklyHours } = onboarding;
  type Step = { done: boolean; label: string; action: string } & ({ onClick: () => void } | { to: string });
  const steps: Step[] = [
    { done: hasWeeklyHours, label: "Set your weekly hours", action: "Set hours", onClick: onOpenAvailability },
    { done: profile.session_lengths.length > 0, label: `Choose session lengths${profile.session_lengths.length ? ` (now ${profile.session_lengths.join(", ")} min)` : ""}`, action: "Choose", onClick: onOpenAvailability },
    { done: profile.bio.trim().length >= MIN_BIO_LENGTH, label: "Write a short bio (a few sentences clients read before booking)", action: "Write bio", to: `${paths.editProfile}#about` },
    { done: !!profile.avatar_url, label: "Add a photo", action: "Add photo", to: `${paths.editProfile}#photo` },
  ];
  const left = steps.filter((s) => !s.done).length;
  if (left === 0) return null;
  const listed = steps[0].done && steps[1].done;
  return (
    <section className={`card ${styles.onboarding}`} aria-labelledby="onboarding-h" data-testid="onboarding">
      <h2 id="onboarding-h">
        Get ready for your first booking
      </h2>
      <p className="muted">
        {listed
          ? `You are listed and bookable. ${left === 1 ? "One step" : `${left} steps`} left to make your profile stand out.`
          : "You are approved. Clients can find and book you once your weekly hours are set."}
      </p>
      <ol>
        {steps.map((s) => (
          <li key={s.label} className={s.done ? styles.done : undefined}>
            <span className={s.done ? `${styles.check} ${styles.done}` : styles.check} aria-hidden="true">
              {s.done ? "✓" : ""}
            </span>
            <span className={styles.label}>
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
