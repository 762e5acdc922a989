/** Time-zone choice and 12/24-hour clock for the booking page (preferences kept in localStorage). */
import { readStored, writeStored } from "./stored";
import { displayPrefs, formatClock } from "./timefmt";

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

/** The zone to show times in: the one chosen on this page before, else the profile's, else the browser's. */
export function preferredTimeZone(): string {
  const chosen = readStored<string | null>("pref:tz", null);
  if (isValidTimeZone(chosen)) return chosen;
  return displayPrefs().timeZone;
}

export function rememberTimeZone(zone: string): void {
  writeStored("pref:tz", zone);
}

/** "auto" follows the person's settings (lib/timefmt); "12"/"24" were chosen on this page. */
export type ClockPref = "auto" | "12" | "24";

export function preferredClock(): ClockPref {
  const v = readStored<string>("pref:clock", "auto");
  return v === "12" || v === "24" ? v : "auto";
}

export function rememberClock(pref: ClockPref): void {
  writeStored("pref:clock", pref === "auto" ? null : pref);
}

export function uses12h(pref: ClockPref): boolean {
  return pref === "auto" ? displayPrefs().hour12 : pref === "12";
}

/** "4:00 AM" / "04:00", written like every other time in the app (lib/timefmt). */
export function clockTime(iso: string, timeZone: string, pref: ClockPref = "auto"): string {
  return formatClock(iso, { timeZone, hour12: uses12h(pref) });
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
