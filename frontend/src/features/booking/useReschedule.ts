/**
 * Moving a booking to another time: the booking, the chosen slot, the request (one idempotency
 * key per attempt, so a retried click cannot move it twice) and a refused time's alternatives.
 */
import { useRef, useState } from "react";
import { useNavigate } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { alternativesOf, type Alternative } from "../../components/booking/ConflictAlternatives";
import type { TimeSlot } from "../../components/booking/SlotPicker";
import { newIdempotencyKey } from "../../lib/idempotency";
import { viewerTimeZone } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { paths } from "../../routes";

export function useReschedule(id: number) {
  const navigate = useNavigate();
  const detail = useAsync(
    () => unwrap(api.GET("/api/v1/consultations/consultations/{id}/", { params: { path: { id } } })),
    [id],
  );
  const [slot, setSlot] = useState<TimeSlot | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<{ message: string; alternatives: Alternative[] } | null>(null);
  // Bumped after a refusal so the slot list is fetched again (the refused time is gone).
  const [refreshKey, setRefreshKey] = useState(0);
  const [focusStart, setFocusStart] = useState<string | null>(null);
  const idemKey = useRef<string | null>(null);

  /** A time picked in the calendar: a new attempt. */
  function pick(next: TimeSlot | null) {
    setSlot(next);
    setConflict(null);
    idemKey.current = null;
  }

  /** A suggested alternative: chosen, and shown in the calendar. */
  function pickAlternative(alt: Alternative) {
    setConflict(null);
    setFocusStart(alt.start);
    setSlot({ start: alt.start, end: alt.end } as TimeSlot);
  }

  /** Moves the booking and opens the new one; a taken time shows alternatives instead. */
  async function submit(reason: string) {
    if (!slot) {
      setError("Choose a new time.");
      return;
    }
    setBusy(true);
    setError(null);
    setConflict(null);
    idemKey.current ??= newIdempotencyKey();
    try {
      const moved = await unwrap(
        api.POST("/api/v1/consultations/consultations/{id}/reschedule/", {
          params: { path: { id }, header: { "Idempotency-Key": idemKey.current } },
          body: { start_at: slot.start, timezone: viewerTimeZone(), reason: reason.trim() },
        }),
      );
      navigate(paths.consultation(moved.id), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || alternativesOf(err.body).length)) {
        setConflict({ message: err.message, alternatives: alternativesOf(err.body) });
        setSlot(null);
        setRefreshKey((k) => k + 1);
        idemKey.current = null;
      } else {
        // A network failure keeps the key: the retry is the same request.
        if (err instanceof ApiError && err.status > 0) idemKey.current = null;
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return { detail, slot, pick, pickAlternative, submit, busy, error, conflict, refreshKey, focusStart };
}
