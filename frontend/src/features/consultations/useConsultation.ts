/** One consultation, kept current by booking, meeting and presence events for it. */
import { useEffect, useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { useAsync, type AsyncState } from "../../lib/useAsync";
import { useRealtimeEvent, useResyncOnReconnect } from "../../realtime/RealtimeProvider";

export type Consultation = Schemas["Consultation"];

/** Events that change a consultation (its status, time, attendance, policy or review). */
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

export function useConsultation(id: number): AsyncState<Consultation> {
  const detail = useAsync(
    () => unwrap(api.GET("/api/v1/consultations/consultations/{id}/", { params: { path: { id } } })),
    [id],
  );
  useRealtimeEvent(CONSULTATION_EVENTS, (event) => {
    // A reschedule names the new booking; its `previous` is the one this page may show.
    const d = event.data as { id?: number; consultation_id?: number; previous?: { id?: number } };
    if (d.id === id || d.consultation_id === id || d.previous?.id === id) void detail.reload();
  });
  useResyncOnReconnect(() => void detail.reload());
  useRealtimeEvent("meeting.presence", (event) => {
    if (event.data.consultation_id === id) void detail.reload();
  });
  return detail;
}

/** The current time, refreshed every `everyMs` (render code must not read the clock itself). */
export function useNow(everyMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(t);
  }, [everyMs]);
  return now;
}
