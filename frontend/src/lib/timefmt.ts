/**
 * How every time a person sees is written, in one place. The Python twin is
 * project/timefmt.py; both follow the same rules and are tested on the same days.
 *
 *   formatSpan(start, end, { timeZone: "America/New_York", hour12: true })  -> "Tue 1 Dec, 4:00–4:30 AM EST"
 *   formatSpan(start, end, { timeZone: "Europe/Paris", hour12: false })     -> "Tue 1 Dec, 10:00–10:30 CET"
 *
 * - Instants come from the API in UTC; they are shown in the reader's zone (their profile's,
 *   else the browser's).
 * - The zone is always named: a letter abbreviation (EST, CEST, IST, JST) when one exists,
 *   otherwise the offset ("GMT-3"). A span crossing a DST change names the zone at both ends.
 * - 12-hour "4:00 AM" or 24-hour "04:00", as the person chose in their settings.
 */

export type DisplayPrefs = { timeZone: string; hour12: boolean };

const EN_DASH = "\u2013";

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The browser's habit, used as the default at sign-up: true where clocks say "4:00 PM". */
export function browserPrefersHour12(): boolean {
  try {
    const cycle = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hourCycle;
    return cycle === "h12" || cycle === "h11";
  } catch {
    return false;
  }
}

let current: DisplayPrefs | null = null;

/** Set once the signed-in person is known (AuthContext); null goes back to the browser's. */
export function setDisplayPrefs(prefs: DisplayPrefs | null): void {
  current = prefs && isKnownZone(prefs.timeZone) ? prefs : null;
}

export function displayPrefs(): DisplayPrefs {
  return current ?? { timeZone: browserTimeZone(), hour12: browserPrefersHour12() };
}

export function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every IANA zone the browser knows (for the settings dropdown). */
export function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

type Local = { year: number; month: string; monthNum: number; day: number; weekday: string; hour: number; minute: number };

const partsCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = partsCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "short",
      day: "numeric",
      weekday: "short",
      hour: "numeric",
      minute: "2-digit",
      hourCycle: "h23",
    });
    partsCache.set(timeZone, f);
  }
  return f;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function local(date: Date, timeZone: string): Local {
  const parts = formatterFor(timeZone).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const month = get("month");
  return {
    year: Number(get("year")),
    month,
    monthNum: MONTHS.indexOf(month),
    day: Number(get("day")),
    weekday: get("weekday"),
    hour: Number(get("hour")) % 24,
    minute: Number(get("minute")),
  };
}

// Locales whose short zone names carry letters for many zones: en-US (EST, PST), en-GB
// (CET, WET), en-IN (IST), en-AU (AEDT), ja-JP (JST), en-ZA (SAST).
const NAME_LOCALES = ["en-US", "en-GB", "en-IN", "en-AU", "ja-JP", "en-ZA"];

function shortName(date: Date, timeZone: string, locale: string): string {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" }).formatToParts(date);
  return parts.find((p) => p.type === "timeZoneName")?.value ?? "";
}

/** "EST", "CEST", "IST" ... or "GMT+5:30" when no abbreviation in letters exists. */
export function zoneLabel(date: Date, timeZone: string): string {
  for (const locale of NAME_LOCALES) {
    const name = shortName(date, timeZone, locale);
    if (/^[A-Z]{2,5}$/.test(name)) return name;
  }
  const offset = shortName(date, timeZone, "en-US"); // "GMT+5:30", "GMT-3", "GMT+0"
  return offset === "GMT+0" || offset === "GMT-0" ? "GMT" : offset || "UTC";
}

const pad = (n: number) => String(n).padStart(2, "0");

function clock(l: Local, hour12: boolean, meridiem = true): string {
  if (!hour12) return `${pad(l.hour)}:${pad(l.minute)}`;
  const text = `${l.hour % 12 || 12}:${pad(l.minute)}`;
  return meridiem ? `${text} ${l.hour < 12 ? "AM" : "PM"}` : text;
}

const day = (l: Local) => `${l.weekday} ${l.day} ${l.month}`;
const sameDay = (a: Local, b: Local) => a.year === b.year && a.monthNum === b.monthNum && a.day === b.day;
const asDate = (value: string | Date) => (typeof value === "string" ? new Date(value) : value);

/** "4:00 AM EST" / "10:00 CET". */
export function formatTimeOnly(value: string | Date, prefs: DisplayPrefs = displayPrefs()): string {
  const d = asDate(value);
  return `${clock(local(d, prefs.timeZone), prefs.hour12)} ${zoneLabel(d, prefs.timeZone)}`;
}

/** "4:00 AM" / "10:00" without the zone, for lists under a heading that names it. */
export function formatClock(value: string | Date, prefs: DisplayPrefs = displayPrefs()): string {
  return clock(local(asDate(value), prefs.timeZone), prefs.hour12);
}

/** "Tue 1 Dec, 4:00 AM EST". */
export function formatDateTimeIn(value: string | Date, prefs: DisplayPrefs = displayPrefs()): string {
  const d = asDate(value);
  const l = local(d, prefs.timeZone);
  return `${day(l)}, ${clock(l, prefs.hour12)} ${zoneLabel(d, prefs.timeZone)}`;
}

/** "Tue 1 Dec 2026": the local calendar day. */
export function formatDay(value: string | Date, prefs: DisplayPrefs = displayPrefs()): string {
  const l = local(asDate(value), prefs.timeZone);
  return `${day(l)} ${l.year}`;
}

/** "Tue 1 Dec, 4:00–4:30 AM EST"; across midnight or a DST change both ends are named. */
export function formatSpan(start: string | Date, end: string | Date, prefs: DisplayPrefs = displayPrefs()): string {
  const s = asDate(start);
  const e = asDate(end);
  const a = local(s, prefs.timeZone);
  const b = local(e, prefs.timeZone);
  const la = zoneLabel(s, prefs.timeZone);
  const lb = zoneLabel(e, prefs.timeZone);
  const h12 = prefs.hour12;
  if (!sameDay(a, b)) return `${day(a)}, ${clock(a, h12)} ${la} ${EN_DASH} ${day(b)}, ${clock(b, h12)} ${lb}`;
  if (la !== lb) return `${day(a)}, ${clock(a, h12)} ${la} ${EN_DASH} ${clock(b, h12)} ${lb}`;
  const sameHalf = h12 && a.hour < 12 === b.hour < 12;
  return `${day(a)}, ${clock(a, h12, !sameHalf)}${EN_DASH}${clock(b, h12)} ${lb}`;
}
