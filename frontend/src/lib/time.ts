/** Date and time helpers. Everything from the API is UTC ISO-8601; display is in the viewer's zone. */
import { displayPrefs, formatClock, formatDateTimeIn, formatDay, formatSpan } from "./timefmt";

/**
 * The zone the signed-in person reads times in: their profile's (set by AuthContext through
 * timefmt.setDisplayPrefs), else the browser's. All formatting lives in ./timefmt.ts.
 */
export function viewerTimeZone(): string {
  return displayPrefs().timeZone;
}

/** "4:00 AM" / "04:00" in the viewer's clock, without the zone (lists under a zone heading). */
export function formatTime(iso: string, timeZone = viewerTimeZone()): string {
  return formatClock(iso, { ...displayPrefs(), timeZone });
}

/** "Tue 1 Dec 2026". */
export function formatDate(iso: string, timeZone = viewerTimeZone()): string {
  return formatDay(iso, { ...displayPrefs(), timeZone });
}

/** "Tue 1 Dec, 4:00 AM EST". */
export function formatDateTime(iso: string, timeZone = viewerTimeZone()): string {
  return formatDateTimeIn(iso, { ...displayPrefs(), timeZone });
}

/** "Tue 1 Dec, 4:00–4:30 AM EST". */
export function formatRange(startIso: string, endIso: string, timeZone = viewerTimeZone()): string {
  return formatSpan(startIso, endIso, { ...displayPrefs(), timeZone });
}

/** The calendar date (YYYY-MM-DD) of an instant as seen in `timeZone`. */
export function localDateKey(iso: string | Date, timeZone = viewerTimeZone()): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    timeZone,
  }).formatToParts(typeof iso === "string" ? new Date(iso) : iso);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

export function todayKey(timeZone = viewerTimeZone()): string {
  return localDateKey(new Date(), timeZone);
}

export function addDays(dateKey: string, days: number): string {
  const [y, m, d] = dateKey.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return date.toISOString().slice(0, 10);
}

export function timeZoneLabel(timeZone = viewerTimeZone()): string {
  return timeZone.replace(/_/g, " ");
}

export function relativeFromNow(iso: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), "second");
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), "minute");
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), "hour");
  return rtf.format(Math.round(diff / 86_400_000), "day");
}

/** `whole` rounds to whole units, for approximate (converted) amounts. */
export function formatMoney(amount: string | number | null | undefined, currency = "USD", { whole = false } = {}): string {
  const value = typeof amount === "string" ? Number(amount) : (amount ?? 0);
  if (!Number.isFinite(value)) return String(amount);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency, ...(whole ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {}) }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}
