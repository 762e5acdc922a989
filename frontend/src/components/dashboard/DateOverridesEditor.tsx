import { useMemo, useState, type FormEvent } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { useAsync } from "../../lib/useAsync";
import { ErrorBox, Loading, Notice, TextField } from "../ui";
import styles from "./DateOverridesEditor.module.css";

/** The colour of a day in the calendar; "off" days (no weekly hours) stay plain. */
const STATE_CLASS: Record<"closed" | "custom" | "weekly" | "off", string> = {
  closed: styles.overrideClosed,
  custom: styles.overrideCustom,
  weekly: styles.overrideWeekly,
  off: "",
};

type Override = Schemas["DateOverride"];
type Window = { start_time: string; end_time: string };
type WeeklyRule = { weekday: number; start_time: string; end_time: string };

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAY_LETTERS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** "YYYY-MM-DD" of today in `timeZone` (the expert's zone: overrides are dates there). */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** The weeks (Monday first) of a month, as "YYYY-MM-DD" or null for padding cells. */
export function monthGrid(year: number, month: number): (string | null)[][] {
  const first = new Date(Date.UTC(year, month, 1));
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7; // Monday = 0
  const cells: (string | null)[] = Array.from({ length: lead }, () => null);
  for (let d = 1; d <= days; d++) {
    cells.push(`${year}-${String(month + 1).padStart(2, "0")}-${String(d).padStart(2, "0")}`);
  }
  while (cells.length % 7) cells.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

/** Monday = 0 … Sunday = 6, as the API numbers weekdays. */
export function weekdayOf(dateKey: string): number {
  const [y, m, d] = dateKey.split("-").map(Number);
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

export function validateWindows(windows: Window[]): string | null {
  const sorted = [...windows].sort((a, b) => a.start_time.localeCompare(b.start_time));
  for (const w of sorted) {
    if (!w.start_time || !w.end_time) return "Fill in both times of every range.";
    if (w.end_time !== "24:00" && w.end_time <= w.start_time) return `${w.end_time} is not after ${w.start_time}.`;
  }
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start_time < sorted[i - 1].end_time) {
      return `${sorted[i - 1].start_time}–${sorted[i - 1].end_time} overlaps ${sorted[i].start_time}–${sorted[i].end_time}.`;
    }
  }
  return null;
}

function longDate(dateKey: string): string {
  const [y, m, d] = dateKey.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

function describe(o: Override): string {
  if (o.closed) return "Closed";
  return o.windows.map((w) => `${w.start_time}–${w.end_time}`).join(", ");
}

/**
 * A month calendar of the expert's dates: each date shows whether the weekly hours apply or an
 * override replaces them (extra hours, shorter hours, closed). Dates are in the expert's zone.
 */
export function DateOverridesEditor({ timeZone, weeklyRules }: { timeZone: string; weeklyRules: WeeklyRule[] }) {
  const today = todayIn(timeZone);
  const [cursor, setCursor] = useState(() => ({ year: Number(today.slice(0, 4)), month: Number(today.slice(5, 7)) - 1 }));
  const overrides = useAsync(() => unwrap(api.GET("/api/v1/consultations/experts/availability/overrides/")), []);
  const [selected, setSelected] = useState<string | null>(null);

  const byDate = useMemo(() => new Map((overrides.data ?? []).map((o) => [o.date, o])), [overrides.data]);
  const weeks = monthGrid(cursor.year, cursor.month);
  const weeklyHours = (dateKey: string) => weeklyRules.filter((r) => r.weekday === weekdayOf(dateKey));

  function move(delta: number) {
    setCursor(({ year, month }) => {
      const m = month + delta;
      return { year: year + Math.floor(m / 12), month: ((m % 12) + 12) % 12 };
    });
  }

  return (
    <section aria-labelledby="date-overrides">
      <h3 id="date-overrides">Date-specific hours</h3>
      <p className="muted">
        Pick a date to work different hours than usual — extra hours on a Saturday, shorter hours on a holiday, or closed all day. Dates and times
        are in <strong>{timeZone}</strong>.
      </p>
      {overrides.loading && !overrides.data && <Loading label="Loading date overrides…" />}
      <ErrorBox message={overrides.error} onRetry={() => void overrides.reload()} />
      <div className={styles.overrideCalendar}>
        <div className={styles.overrideCalendarHead}>
          <button type="button" className="btn btn-small" onClick={() => move(-1)} aria-label="Previous month">
            ‹
          </button>
          <strong aria-live="polite">
            {MONTHS[cursor.month]} {cursor.year}
          </strong>
          <button type="button" className="btn btn-small" onClick={() => move(1)} aria-label="Next month">
            ›
          </button>
        </div>
        <table className={styles.overrideGrid} role="grid" aria-label={`${MONTHS[cursor.month]} ${cursor.year}`}>
          <thead>
            <tr>
              {DAY_LETTERS.map((d) => (
                <th key={d} scope="col">
                  {d}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {weeks.map((week, i) => (
              <tr key={i}>
                {week.map((day, j) => {
                  if (!day) return <td key={j} />;
                  const o = byDate.get(day);
                  const past = day < today;
                  const works = weeklyHours(day).length > 0;
                  const state = o ? (o.closed ? "closed" : "custom") : works ? "weekly" : "off";
                  const label = `${longDate(day)}: ${o ? describe(o) : works ? "weekly hours" : "not working"}`;
                  return (
                    <td key={j}>
                      <button
                        type="button"
                        className={`${styles.overrideDay} ${STATE_CLASS[state]}${selected === day ? ` ${styles.overrideSelected}` : ""}`}
                        data-state={state}
                        disabled={past}
                        aria-label={label}
                        aria-pressed={selected === day}
                        onClick={() => setSelected(day)}
                      >
                        {Number(day.slice(8))}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        <p className={`${styles.overrideLegend} muted`}>
          <span className={`${styles.overrideKey} ${styles.overrideWeekly}`} /> weekly hours <span className={`${styles.overrideKey} ${styles.overrideCustom}`} /> changed hours{" "}
          <span className={`${styles.overrideKey} ${styles.overrideClosed}`} /> closed
        </p>
      </div>
      {selected && (
        <OverrideForm
          key={selected}
          date={selected}
          existing={byDate.get(selected)}
          weekly={weeklyHours(selected)}
          onSaved={(saved) => overrides.setData((prev) => [...(prev ?? []).filter((o) => o.date !== saved.date), saved].sort((a, b) => a.date.localeCompare(b.date)))}
          onRemoved={(date) => overrides.setData((prev) => (prev ?? []).filter((o) => o.date !== date))}
        />
      )}
      {overrides.data && overrides.data.length > 0 && (
        <ul className="doc-list" aria-label="Upcoming date overrides">
          {overrides.data.map((o) => (
            <li key={o.date}>
              <span>
                {longDate(o.date)} · {describe(o)}
                {o.note && ` · ${o.note}`}
              </span>
              <button type="button" className="btn btn-small" onClick={() => setSelected(o.date)}>
                Edit
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function OverrideForm({
  date,
  existing,
  weekly,
  onSaved,
  onRemoved,
}: {
  date: string;
  existing: Override | undefined;
  weekly: WeeklyRule[];
  onSaved: (o: Override) => void;
  onRemoved: (date: string) => void;
}) {
  const initial: Window[] = existing
    ? existing.windows.map((w) => ({ start_time: w.start_time, end_time: w.end_time }))
    : weekly.length
      ? weekly.map((r) => ({ start_time: r.start_time.slice(0, 5), end_time: r.end_time.slice(0, 5) }))
      : [{ start_time: "09:00", end_time: "17:00" }];
  const [closed, setClosed] = useState(existing?.closed ?? false);
  const [windows, setWindows] = useState<Window[]>(initial);
  const [note, setNote] = useState(existing?.note ?? "");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    const problem = closed ? null : windows.length ? validateWindows(windows) : "Add a time range, or mark the date closed.";
    setError(problem);
    setSaved(null);
    if (problem) return;
    setBusy(true);
    try {
      const result = await unwrap(
        api.PUT("/api/v1/consultations/experts/availability/overrides/{day}/", {
          params: { path: { day: date } },
          body: { windows: closed ? [] : windows, note },
        }),
      );
      onSaved(result);
      setSaved(closed ? "Saved: closed that day." : "Saved: these hours replace your weekly hours on that date.");
    } catch (err) {
      setError(err instanceof ApiError ? err.message : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await unwrap(api.DELETE("/api/v1/consultations/experts/availability/overrides/{day}/", { params: { path: { day: date } } }));
      onRemoved(date);
      setSaved("Removed: your weekly hours apply again.");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save} className={`card ${styles.overrideForm}`} aria-label={`Hours on ${longDate(date)}`}>
      <h4>{longDate(date)}</h4>
      <p className="muted">
        Usually: {weekly.length ? weekly.map((r) => `${r.start_time.slice(0, 5)}–${r.end_time.slice(0, 5)}`).join(", ") : "not working"}
      </p>
      <div className="checkbox-field">
        <label>
          <input type="checkbox" checked={closed} onChange={(e) => setClosed(e.target.checked)} /> Closed all day
        </label>
      </div>
      {!closed &&
        windows.map((w, i) => (
          <div className="range-row" key={i}>
            <label className="visually-hidden" htmlFor={`ovr-${i}-start`}>
              From
            </label>
            <input id={`ovr-${i}-start`} type="time" value={w.start_time} onChange={(e) => setWindows((p) => p.map((x, j) => (j === i ? { ...x, start_time: e.target.value } : x)))} />
            <span aria-hidden="true">–</span>
            <label className="visually-hidden" htmlFor={`ovr-${i}-end`}>
              Until
            </label>
            <input id={`ovr-${i}-end`} type="time" value={w.end_time} onChange={(e) => setWindows((p) => p.map((x, j) => (j === i ? { ...x, end_time: e.target.value } : x)))} />
            <button type="button" className="btn btn-small" aria-label={`Remove ${w.start_time}–${w.end_time}`} onClick={() => setWindows((p) => p.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
      {!closed && (
        <button type="button" className="btn btn-small" onClick={() => setWindows((p) => [...p, { start_time: "09:00", end_time: "17:00" }])}>
          + Add hours
        </button>
      )}
      <TextField label="Note (only you see it)" value={note} maxLength={200} onChange={(e) => setNote(e.target.value)} placeholder="e.g. Public holiday" />
      <ErrorBox message={error} />
      {saved && <Notice kind="success">{saved}</Notice>}
      <div className="row-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Saving…" : "Save hours for this date"}
        </button>
        {existing && (
          <button type="button" className="btn" disabled={busy} onClick={() => void remove()}>
            Use weekly hours again
          </button>
        )}
      </div>
    </form>
  );
}
