/** Time-zone choice and 12/24-hour clock for the booking page (preferences kept in localStorage). */
import { readStored, writeStored } from "./stored";
import { viewerTimeZone } from "./time";

const FALLBACK_ZONES = [
  "UTC",
  "America/Los_Angeles",
  "America/Denver",
  "America/Chicago",
  "America/New_York",
  "America/Sao_Paulo",
  "Europe/London",
  "Europe/Lisbon",
  "Europe/Paris",
  "Europe/Berlin",
  "Europe/Athens",
  "Africa/Johannesburg",
  "Asia/Dubai",
  "Asia/Kolkata",
  "Asia/Singapore",
  "Asia/Tokyo",
  "Australia/Sydney",
  "Pacific/Auckland",
];

/** Every IANA zone the browser knows (falls back to a short list on old browsers). */
export function allTimeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    const zones = intl.supportedValuesOf?.("timeZone");
    if (zones && zones.length) return zones.includes("UTC") ? zones : ["UTC", ...zones];
  } catch {
    /* not supported */
  }
  return FALLBACK_ZONES;
}

export function isValidTimeZone(zone: string | null | undefined): zone is string {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The zone to show times in: the one chosen here before, else the profile's, else the browser's. */
export function preferredTimeZone(profileZone?: string | null): string {
  const chosen = readStored<string | null>("pref:tz", null);
  if (isValidTimeZone(chosen)) return chosen;
  if (isValidTimeZone(profileZone)) return profileZone;
  return viewerTimeZone();
}

export function rememberTimeZone(zone: string): void {
  writeStored("pref:tz", zone);
}

/** "auto" follows the locale; "12"/"24" force the clock. */
export type ClockPref = "auto" | "12" | "24";

export function preferredClock(): ClockPref {
  const v = readStored<string>("pref:clock", "auto");
  return v === "12" || v === "24" ? v : "auto";
}

export function rememberClock(pref: ClockPref): void {
  writeStored("pref:clock", pref === "auto" ? null : pref);
}

/** True when the locale's default clock is 12-hour (en-US), for showing the toggle's state. */
export function localeUses12h(locale?: string): boolean {
  const parts = new Intl.DateTimeFormat(locale, { hour: "numeric" }).formatToParts(new Date(Date.UTC(2026, 0, 1, 15)));
  return parts.some((p) => p.type === "dayPeriod");
}

export function clockTime(iso: string, timeZone: string, pref: ClockPref = "auto", locale?: string): string {
  const opts: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", timeZone };
  if (pref === "12") opts.hourCycle = "h12";
  if (pref === "24") opts.hourCycle = "h23";
  return new Intl.DateTimeFormat(locale, opts).format(new Date(iso));
}

/** "Europe/Paris" -> "Europe/Paris (GMT+1)", with the offset at `at`. */
export function zoneWithOffset(zone: string, at: Date = new Date()): string {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "shortOffset" })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName");
    return `${zone.replace(/_/g, " ")}${part ? ` (${part.value})` : ""}`;
  } catch {
    return zone.replace(/_/g, " ");
  }
}
