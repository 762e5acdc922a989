import { useEffect, useMemo, useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { addDays, formatTime, timeZoneLabel, todayKey, viewerTimeZone } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { ErrorBox, Loading } from "../ui";

export type TimeSlot = Schemas["TimeSlot"];

const RANGE_DAYS = 14;

/** Slot buttons for one day; times shown in `timeZone` (the viewer's, by default). */
export function SlotList({
  slots,
  timeZone,
  selected,
  onSelect,
}: {
  slots: TimeSlot[];
  timeZone: string;
  selected: string | null;
  onSelect: (slot: TimeSlot) => void;
}) {
  if (slots.length === 0) return <p className="muted">No free times on this day.</p>;
  return (
    <ul className="slot-grid" aria-label="Available times">
      {slots.map((slot) => (
        <li key={slot.start}>
          <button
            type="button"
            aria-pressed={selected === slot.start}
            onClick={() => onSelect(slot)}
            data-testid="slot"
            data-start={slot.start}
          >
            {formatTime(slot.start, timeZone)}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Groups slots by the calendar day they start on in `timeZone`. */
export function groupSlotsByDay(slots: TimeSlot[], timeZone: string): Map<string, TimeSlot[]> {
  const byDay = new Map<string, TimeSlot[]>();
  const fmt = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone });
  for (const slot of slots) {
    const key = fmt.format(new Date(slot.start));
    const list = byDay.get(key) ?? [];
    list.push(slot);
    byDay.set(key, list);
  }
  for (const list of byDay.values()) list.sort((a, b) => a.start.localeCompare(b.start));
  return byDay;
}

function dayLabel(key: string, timeZone: string) {
  // Noon UTC of that date keeps the weekday right in every zone from UTC-11 to UTC+11.
  const date = new Date(`${key}T12:00:00Z`);
  return {
    weekday: new Intl.DateTimeFormat(undefined, { weekday: "short", timeZone: "UTC" }).format(date),
    day: new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" }).format(date),
    full: new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" }).format(date),
    tz: timeZone,
  };
}

interface PickerProps {
  expertId: number;
  duration: number | null;
  selected: TimeSlot | null;
  onSelect: (slot: TimeSlot | null) => void;
  /** Bumped by the parent to refetch (e.g. after a 409). */
  refreshKey?: number;
  /** Jump to the day holding this instant (e.g. an alternative offered on conflict). */
  focusStart?: string | null;
  horizonDays?: number;
}

/** Date strip + slots for two weeks at a time, fetched in the viewer's zone. */
export function SlotPicker({ expertId, duration, selected, onSelect, refreshKey = 0, focusStart, horizonDays = 60 }: PickerProps) {
  const tz = viewerTimeZone();
  const today = todayKey(tz);
  const [rangeStart, setRangeStart] = useState(today);
  const [day, setDay] = useState<string | null>(null);
  const rangeEnd = addDays(rangeStart, RANGE_DAYS - 1);
  const lastBookable = addDays(today, horizonDays);

  const { data, error, loading, reload } = useAsync(
    () =>
      unwrap(
        api.GET("/api/v1/consultations/experts/{id}/time-slots/", {
          params: {
            path: { id: expertId },
            query: { from: rangeStart, to: rangeEnd, tz, ...(duration ? { duration } : {}) },
          },
        }),
      ),
    [expertId, rangeStart, duration, refreshKey],
  );

  const byDay = useMemo(() => groupSlotsByDay(data?.slots ?? [], tz), [data, tz]);
  const days = useMemo(() => Array.from({ length: RANGE_DAYS }, (_, i) => addDays(rangeStart, i)), [rangeStart]);

  // Pick the first day with free times when the data changes, unless the chosen day still has some.
  useEffect(() => {
    if (!data) return;
    if (day && byDay.has(day)) return;
    setDay(days.find((d) => byDay.has(d)) ?? days[0]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data]);

  useEffect(() => {
    if (!focusStart) return;
    const key = groupSlotsByDay([{ start: focusStart } as TimeSlot], tz).keys().next().value as string;
    if (key < rangeStart || key > rangeEnd) setRangeStart(key < today ? today : key);
    setDay(key);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusStart]);

  const daySlots = day ? (byDay.get(day) ?? []) : [];

  return (
    <div className="slot-picker">
      <div className="section-head" style={{ marginBottom: "0.5rem" }}>
        <h3 style={{ margin: 0 }}>Pick a time</h3>
        <span className="muted" data-testid="viewer-tz">
          Times in your zone: {timeZoneLabel(tz)}
        </span>
      </div>
      <div className="actions" style={{ marginBottom: "0.5rem" }}>
        <button
          type="button"
          className="btn btn-small"
          disabled={rangeStart <= today}
          onClick={() => {
            const prev = addDays(rangeStart, -RANGE_DAYS);
            setRangeStart(prev < today ? today : prev);
          }}
        >
          ← Earlier
        </button>
        <button type="button" className="btn btn-small" disabled={rangeEnd >= lastBookable} onClick={() => setRangeStart(addDays(rangeStart, RANGE_DAYS))}>
          Later →
        </button>
        <label className="muted" style={{ display: "inline-flex", alignItems: "center", gap: "0.4rem" }}>
          Go to date
          <input
            type="date"
            min={today}
            max={lastBookable}
            value={day ?? ""}
            style={{ width: "auto" }}
            onChange={(e) => {
              const key = e.target.value;
              if (!key) return;
              if (key < rangeStart || key > rangeEnd) setRangeStart(key);
              setDay(key);
            }}
          />
        </label>
      </div>
      <div className="date-strip" role="group" aria-label="Days">
        {days.map((d) => {
          const label = dayLabel(d, tz);
          const count = byDay.get(d)?.length ?? 0;
          return (
            <button
              key={d}
              type="button"
              aria-pressed={d === day}
              aria-label={`${label.full}: ${count ? `${count} free times` : "no free times"}`}
              onClick={() => setDay(d)}
              data-testid="day"
              data-date={d}
            >
              <small>{label.weekday}</small>
              <span>{label.day}</span>
              <small>{loading ? "…" : count ? `${count} free` : "—"}</small>
            </button>
          );
        })}
      </div>
      <ErrorBox message={error} onRetry={() => void reload()} />
      {loading && !data ? (
        <Loading label="Loading free times…" />
      ) : (
        <SlotList slots={daySlots} timeZone={tz} selected={selected?.start ?? null} onSelect={onSelect} />
      )}
    </div>
  );
}
