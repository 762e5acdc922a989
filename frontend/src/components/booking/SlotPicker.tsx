
import { useMemo, useRef, useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { addDays, todayKey } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { allTimeZones, clockTime, uses12h, zoneWithOffset, type ClockPref } from "../../lib/zones";
import { ErrorBox, Loading } from "../ui";
import styles from "./SlotPicker.module.css";

export type TimeSlot = Schemas["TimeSlot"];

/** Slot buttons for one day; times shown in `timeZone` with the chosen clock. */
export function SlotList({
  slots,
  timeZone,
  selected,
  onSelect,
  clock = "auto",
}: {
  slots: TimeSlot[];
  timeZone: string;
  selected: string | null;
  onSelect: (slot: TimeSlot) => void;
  clock?: ClockPref;
}) {
  if (slots.length === 0) return <p className="muted">No free times on this day.</p>;
  return (
    <ul className={styles.slotGrid} aria-label="Available times">
      {slots.map((slot) => (
        <li key={slot.start}>
          <button
            type="button"
            aria-pressed={selected === slot.start}
            onClick={() => onSelect(slot)}
            data-testid="slot"
            data-start={slot.start}
          >
            {clockTime(slot.start, timeZone, clock)}
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

/** The weeks (Monday first) covering a month, as YYYY-MM-DD keys; null pads the edges. */
export function monthGrid(month: string): (string | null)[][] {
  const [y, m] = month.split("-").map(Number);
  const first = new Date(Date.UTC(y, m - 1, 1));
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7; // Monday = 0
  const cells: (string | null)[] = Array.from({ length: lead }, () => null);
  for (let d = 1; d <= days; d++) cells.push(`${month}-${String(d).padStart(2, "0")}`);
  while (cells.length % 7) cells.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

export function shiftMonth(month: string, by: number): string {
  const [y, m] = month.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + by, 1));
  return d.toISOString().slice(0, 7);
}

function lastDayOf(month: string): string {
  const [y, m] = month.split("-").map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

const utcNoon = (key: string) => new Date(`${key}T12:00:00Z`);
const fmtUtc = (key: string, opts: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(undefined, { ...opts, timeZone: "UTC" }).format(utcNoon(key));
export const longDay = (key: string) => fmtUtc(key, { weekday: "long", day: "numeric", month: "long" });

/** Time zone dropdown and 12/24-hour toggle shown above the calendar. */
export function TimeDisplayControls({
  timeZone,
  onTimeZone,
  clock,
  onClock,
}: {
  timeZone: string;
  onTimeZone: (zone: string) => void;
  clock: ClockPref;
  onClock: (pref: ClockPref) => void;
}) {
  const zones = useMemo(() => {
    const list = allTimeZones();
    return list.includes(timeZone) ? list : [timeZone, ...list];
  }, [timeZone]);
  const twelve = uses12h(clock);
  return (
    <div className={styles.timeControls}>
      <label className={styles.tzSelect}>
        <span>Time zone</span>
        <select value={timeZone} onChange={(e) => onTimeZone(e.target.value)}>
          {zones.map((z) => (
            <option key={z} value={z}>
              {z.replace(/_/g, " ")}
            </option>
          ))}
        </select>
      </label>
      <div className={styles.segmented} role="group" aria-label="Clock">
        <button type="button" aria-pressed={twelve} onClick={() => onClock("12")}>
          12 h
        </button>
        <button type="button" aria-pressed={!twelve} onClick={() => onClock("24")}>
          24 h
        </button>
      </div>
    </div>
  );
}

interface PickerProps {
  expertId: number;
  duration: number | null;
  selected: TimeSlot | null;
  onSelect: (slot: TimeSlot | null) => void;
  timeZone: string;
  clock?: ClockPref;
  /** The chosen day (YYYY-MM-DD in `timeZone`), if the parent keeps it (e.g. in the URL). */
  day?: string | null;
  onDayChange?: (day: string) => void;
  /** Bumped by the parent to refetch (e.g. after a 409). */
  refreshKey?: number;
  /** Jump to the day holding this instant (e.g. an alternative offered on conflict). */
  focusStart?: string | null;
  /** Where to open when no day is chosen: the expert's next free time. */
  nextAvailableAt?: string | null;
  horizonDays?: number;
}

/**
 * A month calendar with the days that have free times marked, and the free times of the
 * chosen day beside it (below it on a phone). One request per month shown.
 */
export function SlotPicker({
  expertId,
  duration,
  selected,
  onSelect,
  timeZone: tz,
  clock = "auto",
  day: controlledDay,
  onDayChange,
  refreshKey = 0,
  focusStart,
  nextAvailableAt,
  horizonDays = 60,
}: PickerProps) {
  const today = todayKey(tz);
  const lastBookable = addDays(today, horizonDays);
  const startKey = controlledDay ?? (nextAvailableAt ? groupSlotsByDay([{ start: nextAvailableAt } as TimeSlot], tz).keys().next().value : null) ?? today;
  const [month, setMonth] = useState(startKey.slice(0, 7));
  const [ownDay, setOwnDay] = useState<string | null>(controlledDay ?? null);
  const day = controlledDay !== undefined ? controlledDay : ownDay;
  const setDay = (next: string) => {
    setOwnDay(next);
    onDayChange?.(next);
  };
  const from = `${month}-01` < today ? today : `${month}-01`;
  const to = lastDayOf(month) > lastBookable ? lastBookable : lastDayOf(month);
  const slotsRef = useRef<HTMLDivElement>(null);
  const advancedFor = useRef<string | null>(null);

  // The answer carries the question it answers, so a list for another length or zone is never shown.
  const reqKey = [expertId, from, to, tz, duration, refreshKey].join("|");
  const answer = useAsync(
    () =>
      (from > to
        ? Promise.resolve({ slots: [] as TimeSlot[] })
        : unwrap(
            api.GET("/api/v1/consultations/experts/{id}/time-slots/", {
              params: { path: { id: expertId }, query: { from, to, tz, ...(duration ? { duration } : {}) } },
            }),
          )
      ).then((r) => ({ key: reqKey, slots: r.slots })),
    [reqKey],
    {
      // When a month's times arrive and no day of that month with free times is chosen, choose
      // the first one (as the answer arrives, not in an effect after it).
      onLoad: (r) => {
        const days = groupSlotsByDay(r.slots, tz);
        const first = [...days.keys()].sort()[0];
        if (!(day && day.startsWith(month) && days.has(day)) && first) setDay(first);
        // Nothing left this month for this length (late on its last day, say, or after
        // switching to a longer session): show the next month, once per length and zone, so
        // the page never opens on an empty day while there are times ahead.
        const lengthKey = `${duration}|${tz}`;
        if (!first && month === today.slice(0, 7) && advancedFor.current !== lengthKey) {
          advancedFor.current = lengthKey;
          if (shiftMonth(month, 1) <= lastBookable.slice(0, 7)) setMonth(shiftMonth(month, 1));
        }
      },
    },
  );
  const { error, reload } = answer;
  const data = answer.data?.key === reqKey ? answer.data : undefined;
  const loading = answer.loading || (!data && !error);

  const byDay = useMemo(() => groupSlotsByDay(data?.slots ?? [], tz), [data, tz]);

  // A time chosen elsewhere (a suggested alternative) brings its month and day into view;
  // state follows the prop during render (a controlled parent sets the day itself).
  const [focusSeen, setFocusSeen] = useState<string | null>(null);
  if ((focusStart ?? null) !== focusSeen) {
    setFocusSeen(focusStart ?? null);
    if (focusStart) {
      const key = groupSlotsByDay([{ start: focusStart } as TimeSlot], tz).keys().next().value as string;
      setMonth(key.slice(0, 7));
      setOwnDay(key);
    }
  }

  const daySlots = day ? (byDay.get(day) ?? []) : [];
  const monthLabel = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" }).format(utcNoon(`${month}-15`));
  const weekdays = monthGrid("2026-06")[1].map((k) => fmtUtc(k!, { weekday: "short" }));

  return (
    <div className={styles.slotPicker}>
      <div>
        <div className={styles.monthHead}>
          <button
            type="button"
            className="btn btn-icon"
            disabled={month <= today.slice(0, 7)}
            onClick={() => setMonth(shiftMonth(month, -1))}
            aria-label="Previous month"
          >
            ‹
          </button>
          <h3 aria-live="polite">{monthLabel}</h3>
          <button
            type="button"
            className="btn btn-icon"
            disabled={shiftMonth(month, 1) > lastBookable.slice(0, 7)}
            onClick={() => setMonth(shiftMonth(month, 1))}
            aria-label="Next month"
          >
            ›
          </button>
        </div>
        <table className={styles.calGrid} aria-label={`Days in ${monthLabel}`}>
          <thead>
            <tr>
              {weekdays.map((w) => (
                <th key={w} scope="col">
                  {w}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {monthGrid(month).map((week, i) => (
              <tr key={i}>
                {week.map((key, j) => {
                  if (!key) return <td key={j} />;
                  const count = byDay.get(key)?.length ?? 0;
                  const outside = key < today || key > lastBookable;
                  return (
                    <td key={key}>
                      <button
                        type="button"
                        className={count ? styles.hasSlots : undefined}
                        aria-pressed={key === day}
                        disabled={outside || (!loading && count === 0)}
                        aria-label={`${longDay(key)}: ${loading ? "loading" : count ? `${count} free ${count === 1 ? "time" : "times"}` : "no free times"}`}
                        onClick={() => {
                          setDay(key);
                          slotsRef.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
                        }}
                        data-testid="day"
                        data-date={key}
                      >
                        {Number(key.slice(8))}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        <p className={`muted ${styles.calNote}`} data-testid="viewer-tz">
          Times in {zoneWithOffset(tz)}
        </p>
      </div>
      <div className={styles.daySlots} ref={slotsRef}>
        <ErrorBox message={error} onRetry={() => void reload()} />
        {loading ? (
          <Loading label="Loading free times…" />
        ) : day && day.startsWith(month) ? (
          <>
            <h3 className={styles.dayTitle}>{longDay(day)}</h3>
            <SlotList slots={daySlots} timeZone={tz} selected={selected?.start ?? null} onSelect={onSelect} clock={clock} />
          </>
        ) : (
          !loading && (
            <p className="muted">
              No free times in {monthLabel}.{" "}
              {shiftMonth(month, 1) <= lastBookable.slice(0, 7) && (
                <button type="button" className="linklike" onClick={() => setMonth(shiftMonth(month, 1))}>
                  Look at the next month
                </button>
              )}
            </p>
          )
        )}
      </div>
    </div>
  );
}
