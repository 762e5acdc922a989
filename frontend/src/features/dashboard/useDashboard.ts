/**
 * The expert dashboard's data: the figures and first upcoming bookings, the later pages behind
 * "Show more", and the live booking alerts; every booking event updates the alerts and reloads
 * the figures.
 */
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/http";
import type { Consultation } from "../../components/consultations/ConsultationActions";
import { useAsync } from "../../lib/useAsync";
import { useRealtimeEvent, useResyncOnReconnect } from "../../realtime/RealtimeProvider";

/** The booking fields carried by booking.* events. */
export interface BookingEvent {
  id: number;
  status: string;
  start_at: string;
  end_at: string;
  topic: string;
  user_name: string;
}

export interface LiveAlert {
  /** One alert per booking: later events update it instead of adding another. */
  bookingId: number;
  kind: "created" | "cancelled" | "rescheduled";
  booking: BookingEvent;
  error?: string;
}

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

interface More {
  items: Consultation[];
  page: number;
  done: boolean;
  loading: boolean;
  error?: string;
}

export function useDashboard() {
  const dashboard = useAsync(() => unwrap(api.GET("/api/v1/consultations/experts/dashboard/")), []);
  const [alerts, setAlerts] = useState<LiveAlert[]>([]);
  // The dashboard sends the first upcoming bookings; "Show more" pages through the rest.
  const [more, setMore] = useState<More>({ items: [], page: 0, done: false, loading: false });

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

  function dismissAlert(bookingId: number) {
    setAlerts((prev) => prev.filter((a) => a.bookingId !== bookingId));
  }

  /** A booking changed here (confirmed, declined…): show the new version everywhere. */
  function replaced(updated: Consultation) {
    void dashboard.reload();
    setMore((m) => ({ ...m, items: m.items.map((c) => (c.id === updated.id ? updated : c)) }));
    setAlertStatus(updated.id, updated.status);
  }

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

  const d = dashboard.data;
  // Each booking once: requests needing an answer first, then the rest by day.
  const requests = d?.pending_confirmation ?? [];
  const upcomingAll = dedupe([...(d?.upcoming ?? []), ...more.items]);
  const upcoming = upcomingAll.filter((c) => c.status !== "pending" && c.status !== "cancelled");
  const hasMore = !!d && !more.done && upcomingAll.length < d.upcoming_count;
  const laterCount = d ? d.upcoming_count - upcomingAll.length : 0;

  return {
    data: d,
    loading: dashboard.loading,
    error: dashboard.error,
    reload: dashboard.reload,
    alerts,
    confirmFromAlert,
    dismissAlert,
    replaced,
    requests,
    upcoming,
    hasMore,
    laterCount,
    moreLoading: more.loading,
    moreError: more.error,
    showMore,
  };
}

/** Keeps the first copy of each booking (the dashboard's, then the pages'). */
function dedupe(items: Consultation[]): Consultation[] {
  const seen = new Set<number>();
  return items.filter((c) => !seen.has(c.id) && seen.add(c.id));
}

/** What a new expert still has to do before clients can book them, reloaded when staff verify them. */
export function useOnboarding(expertId: number) {
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
  return { profile, hasWeeklyHours: availability.rules.length > 0 };
}
