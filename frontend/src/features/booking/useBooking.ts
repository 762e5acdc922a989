/**
 * Booking a consultation with one expert. Everything chosen lives in the URL (length, day, slot,
 * topic), so a reload, a shared link or the sign-in round trip comes back to the same step; the
 * notes are kept in localStorage. Booking sends one idempotency key per attempt (kept across a
 * network failure, so pressing Book again cannot double-book); a taken time offers alternatives.
 */
import { useMemo, useRef, useState } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { useAuth } from "../../auth/AuthContext";
import { alternativesOf, type Alternative } from "../../components/booking/ConflictAlternatives";
import { groupSlotsByDay, type TimeSlot } from "../../components/booking/SlotPicker";
import { newIdempotencyKey } from "../../lib/idempotency";
import { useStoredState } from "../../lib/stored";
import { preferredTimeZone } from "../../lib/zones";
import { paths } from "../../routes";

export type Expert = Schemas["ExpertDetail"];

const dayOf = (start: string, tz: string) => groupSlotsByDay([{ start } as TimeSlot], tz).keys().next().value as string;

export function useBooking(e: Expert) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [search, setSearch] = useSearchParams();
  const lengths = e.session_lengths.length ? e.session_lengths : [60];
  // Inputs keep their own state (typing must never wait for a router transition) and mirror
  // it into the URL, which is where they start from after a reload or the sign-in round trip.
  const askedLength = Number(search.get("length"));
  const [duration, setDuration] = useState(() => (lengths.includes(askedLength) ? askedLength : lengths[0]));
  const [topic, setTopicState] = useState(() => search.get("topic") ?? "");
  const slotStart = search.get("slot");
  const day = search.get("date");

  const [tz, setTzState] = useState(() => preferredTimeZone());
  const [notes, setNotes, clearNotes] = useStoredState(`booking-notes:${e.id}`, "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [conflict, setConflict] = useState<{ message: string; alternatives: Alternative[] } | null>(null);
  // Bumped after a refusal so the slot list is fetched again (the taken time is gone).
  const [refreshKey, setRefreshKey] = useState(0);
  const [focusStart, setFocusStart] = useState<string | null>(null);
  const idemKey = useRef<string | null>(null);

  // The profile's zone (known once signed in) wins over the browser's, unless one was chosen
  // here; adjusted while rendering when the signed-in person changes.
  const [zoneFor, setZoneFor] = useState(user);
  if (zoneFor !== user) {
    setZoneFor(user);
    setTzState(preferredTimeZone());
  }

  // The conflict box stays until the new slot is in the URL, so the step never flips back to the calendar.
  const [slotSeen, setSlotSeen] = useState(slotStart);
  if (slotSeen !== slotStart) {
    setSlotSeen(slotStart);
    if (slotStart) setConflict(null);
  }

  const slot = useMemo<{ start: string; end: string } | null>(() => {
    if (!slotStart || Number.isNaN(Date.parse(slotStart))) return null;
    return { start: slotStart, end: new Date(Date.parse(slotStart) + duration * 60_000).toISOString() };
  }, [slotStart, duration]);
  const step: "pick" | "confirm" = slot || conflict ? "confirm" : "pick";

  // Built from the address bar, not from this render's params: two changes in one tick
  // (a length click and the calendar choosing a day) must both land.
  function update(changes: Record<string, string | null>, replace = true) {
    const next = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === "") next.delete(k);
      else next.set(k, v);
    }
    setSearch(next, { replace });
  }

  function pick(next: TimeSlot | null) {
    setConflict(null);
    setError(null);
    idemKey.current = null;
    // A new history entry, so the browser's Back returns to the calendar.
    if (next) update({ slot: next.start, date: dayOf(next.start, tz) }, false);
    else update({ slot: null });
  }

  function pickAlternative(alt: Alternative) {
    setFocusStart(alt.start);
    idemKey.current = null;
    update({ slot: alt.start, date: dayOf(alt.start, tz) });
  }

  function chooseLength(minutes: number) {
    setConflict(null);
    setDuration(minutes);
    update({ length: String(minutes), slot: null });
  }

  /** Another zone: the calendar starts again (a day in one zone is not a day in another). */
  function chooseZone(zone: string) {
    setTzState(zone);
    update({ date: null });
  }

  function setTopic(text: string) {
    setTopicState(text);
    update({ topic: text });
  }

  function chooseDay(d: string) {
    update({ date: d });
  }

  async function book() {
    if (!user) {
      navigate(`${paths.login}?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    if (!slot) {
      setError("Choose a time first.");
      return;
    }
    if (!topic.trim()) {
      setError(new ApiError(400, { error: { code: "required", message: "Tell the expert what it is about.", fields: { topic: ["Tell the expert what it is about."] } } }));
      return;
    }
    setBusy(true);
    setError(null);
    setConflict(null);
    idemKey.current ??= newIdempotencyKey();
    try {
      const booked = await unwrap(
        api.POST("/api/v1/consultations/consultations/book/", {
          params: { header: { "Idempotency-Key": idemKey.current } },
          body: {
            expert_id: e.id,
            start_at: slot.start,
            duration_minutes: duration,
            timezone: tz,
            topic: topic.trim(),
            notes: notes.trim(),
          },
        }),
      );
      clearNotes();
      navigate(paths.consultation(booked.id), { state: { justBooked: true } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setConflict({ message: err.message, alternatives: alternativesOf(err.body) });
        update({ slot: null });
        idemKey.current = null;
        setRefreshKey((k) => k + 1);
      } else if (err instanceof ApiError && err.status === 400 && alternativesOf(err.body).length) {
        setConflict({ message: err.message, alternatives: alternativesOf(err.body) });
        update({ slot: null });
        idemKey.current = null;
      } else if (err instanceof ApiError && err.status > 0) {
        setError(err);
        idemKey.current = null;
      } else {
        // Network failure: keep the key so pressing Book again cannot double-book.
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return {
    lengths,
    duration,
    chooseLength,
    topic,
    setTopic,
    notes,
    setNotes,
    tz,
    chooseZone,
    day,
    chooseDay,
    slot,
    step,
    pick,
    pickAlternative,
    book,
    busy,
    error,
    conflict,
    refreshKey,
    focusStart,
  };
}
