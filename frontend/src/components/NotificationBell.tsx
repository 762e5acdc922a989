import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { errorMessage } from "../api/http";
import { relativeFromNow } from "../lib/time";
import { BellIcon } from "./icons";
import { useRealtimeEvent, useResyncOnReconnect } from "../realtime/RealtimeProvider";
import styles from "./NotificationBell.module.css";

// Listed from REST and from live events; kinds are not shown, so any kind string will do.
type Notification = Omit<Schemas["Notification"], "kind"> & { readonly kind: string };

export function NotificationBell() {
  const [open, setOpen] = useState(false);
  const [count, setCount] = useState(0);
  const [items, setItems] = useState<Notification[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [announce, setAnnounce] = useState("");
  const wrapper = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  const loadCount = useCallback(
    () =>
      unwrap(api.GET("/api/v1/notifications/unread-count/")).then(
        (data) => setCount(data.unread_count),
        () => undefined, // the badge is a nicety; the list shows errors when opened
      ),
    [],
  );

  /** The list is fetched each time the panel opens (from the click, not from an effect). */
  function loadList() {
    setError(null);
    unwrap(api.GET("/api/v1/notifications/")).then(
      (data) => setItems(data.results),
      (err: unknown) => setError(errorMessage(err)),
    );
  }

  function toggle() {
    if (!open) loadList();
    setOpen(!open);
  }

  useEffect(() => {
    void loadCount();
  }, [loadCount]);
  useResyncOnReconnect(() => void loadCount());

  useRealtimeEvent("notification.created", (event) => {
    const { unread_count, ...n } = event.data;
    setItems((prev) => (prev ? [n, ...prev.filter((p) => p.id !== n.id)] : prev));
    setCount(unread_count);
    setAnnounce(`New notification: ${n.title}`);
  });
  useRealtimeEvent("notification.read", (event) => {
    const d = event.data;
    setCount(d.unread_count);
    const ids = new Set(d.ids);
    setItems((prev) => prev?.map((n) => (ids.has(n.id) ? { ...n, is_read: true } : n)) ?? prev);
  });

  useEffect(() => {
    if (!open) return;
    const onDoc = (e: MouseEvent) => {
      if (wrapper.current && !wrapper.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener("mousedown", onDoc);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDoc);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  async function markRead(n: Notification) {
    if (n.is_read) return;
    setItems((prev) => prev?.map((p) => (p.id === n.id ? { ...p, is_read: true } : p)) ?? prev);
    setCount((c) => Math.max(0, c - 1));
    try {
      await unwrap(api.POST("/api/v1/notifications/{id}/read/", { params: { path: { id: n.id } } }));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function markAll() {
    try {
      const data = await unwrap(api.POST("/api/v1/notifications/read-all/"));
      setCount(data.unread_count);
      setItems((prev) => prev?.map((p) => ({ ...p, is_read: true })) ?? prev);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <div className={styles.bell} ref={wrapper}>
      <button
        ref={button}
        type="button"
        className="btn btn-icon"
        aria-haspopup="true"
        aria-expanded={open}
        aria-controls="notification-panel"
        aria-label={count ? `Notifications, ${count} unread` : "Notifications"}
        onClick={toggle}
      >
        <BellIcon />
        {count > 0 && (
          <span className="count-badge" data-testid="notification-count" aria-hidden="true">
            {count > 99 ? "99+" : count}
          </span>
        )}
      </button>
      <span className="visually-hidden" aria-live="polite">
        {announce}
      </span>
      {open && (
        <div id="notification-panel" className={`${styles.bellPanel} card`} role="region" aria-label="Notifications">
          <div className={styles.bellHead}>
            <strong>Notifications</strong>
            <button type="button" className="btn btn-small" onClick={markAll} disabled={count === 0}>
              Mark all read
            </button>
          </div>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          {items === null && !error && <p className="muted">Loading…</p>}
          {items && items.length === 0 && <p className="muted">Nothing yet.</p>}
          {items && items.length > 0 && (
            <ul className={styles.bellList}>
              {items.map((n) => (
                <li key={n.id} className={n.is_read ? undefined : styles.unread}>
                  {n.url && n.url.startsWith("/") ? (
                    <Link
                      to={n.url}
                      onClick={() => {
                        void markRead(n);
                        setOpen(false);
                      }}
                    >
                      <NotificationText n={n} />
                    </Link>
                  ) : (
                    <button type="button" className="linklike" onClick={() => void markRead(n)}>
                      <NotificationText n={n} />
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

function NotificationText({ n }: { n: Notification }) {
  return (
    <>
      <span className={styles.bellTitle}>
        {!n.is_read && <span className="visually-hidden">Unread: </span>}
        {n.title}
      </span>
      {n.body && <span className={styles.bellBody}>{n.body}</span>}
      <span className={`muted ${styles.bellTime}`}>{relativeFromNow(n.created_at)}</span>
    </>
  );
}
