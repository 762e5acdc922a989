import { useEffect, useRef, useState } from "react";
import { Link, useLocation } from "react-router-dom";

import { useAuth } from "../auth/AuthContext";
import { useRealtimeEvent } from "../realtime/RealtimeProvider";
import { paths } from "../routes";
import { formatDateTime } from "../lib/time";
import styles from "./BookingToasts.module.css";

interface Toast {
  key: string;
  id: number;
  text: string;
  when: string;
}

const TOAST_MS = 10_000;

/**
 * For experts, on every page: a toast for each new booking request and a count in the tab
 * title ("(2) Consult") until the expert looks at the dashboard.
 */
export function BookingToasts() {
  const { user } = useAuth();
  const { pathname } = useLocation();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [unseen, setUnseen] = useState(0);
  const baseTitle = useRef(document.title.replace(/^\(\d+\)\s*/, ""));
  const onDashboard = pathname === paths.dashboard;

  useRealtimeEvent("booking.created", (event) => {
    if (!user?.roles.is_expert) return;
    const d = event.data as { id: number; topic?: string; user_name?: string; start_at: string };
    setToasts((prev) => [
      ...prev.slice(-2),
      { key: event.id, id: d.id, text: `New booking request from ${d.user_name ?? "a client"}${d.topic ? `: “${d.topic}”` : ""}`, when: d.start_at },
    ]);
    if (!(onDashboard && document.visibilityState === "visible")) setUnseen((n) => n + 1);
  });

  // Seen once the dashboard is open in a visible tab.
  useEffect(() => {
    const clear = () => {
      if (onDashboard && document.visibilityState === "visible") setUnseen(0);
    };
    clear();
    document.addEventListener("visibilitychange", clear);
    return () => document.removeEventListener("visibilitychange", clear);
  }, [onDashboard]);

  useEffect(() => {
    document.title = unseen > 0 ? `(${unseen}) ${baseTitle.current}` : baseTitle.current;
  }, [unseen]);

  useEffect(() => {
    if (toasts.length === 0) return;
    const t = setTimeout(() => setToasts((prev) => prev.slice(1)), TOAST_MS);
    return () => clearTimeout(t);
  }, [toasts]);

  if (toasts.length === 0) return null;
  return (
    <div className={styles.toasts} role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.key} className={styles.toast} data-testid="booking-toast">
          <div>
            <strong>{t.text}</strong>
            <div className="muted">{formatDateTime(t.when)}</div>
          </div>
          <div className={styles.toastActions}>
            {!onDashboard && (
              <Link className="btn btn-small btn-primary" to={paths.dashboard} onClick={() => setToasts((p) => p.filter((x) => x.key !== t.key))}>
                Review
              </Link>
            )}
            <button type="button" className="btn btn-small" onClick={() => setToasts((p) => p.filter((x) => x.key !== t.key))}>
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
