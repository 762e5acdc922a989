// The same cases as project/tests/test_timefmt.py: the two modules must agree.
import { describe, expect, it } from "vitest";
import { formatDateTimeIn, formatSpan, formatTimeOnly, zoneLabel } from "./timefmt";

const at = (iso: string, minutes: number) => [iso, new Date(new Date(iso).getTime() + minutes * 60_000)] as const;

const CASES: [string, number, string, boolean, string][] = [
  ["2026-12-01T09:00:00Z", 30, "America/New_York", true, "Tue 1 Dec, 4:00–4:30 AM EST"],
  ["2026-12-01T09:00:00Z", 30, "America/New_York", false, "Tue 1 Dec, 04:00–04:30 EST"],
  ["2026-12-01T09:00:00Z", 30, "Europe/Paris", false, "Tue 1 Dec, 10:00–10:30 CET"],
  ["2026-12-01T09:00:00Z", 30, "Asia/Kolkata", false, "Tue 1 Dec, 14:30–15:00 IST"],
  ["2026-12-01T09:00:00Z", 30, "Asia/Kolkata", true, "Tue 1 Dec, 2:30–3:00 PM IST"],
  ["2026-12-01T16:30:00Z", 60, "America/New_York", true, "Tue 1 Dec, 11:30 AM–12:30 PM EST"],
  ["2026-12-01T09:00:00Z", 30, "America/Sao_Paulo", false, "Tue 1 Dec, 06:00–06:30 GMT-3"],
  ["2026-12-01T09:00:00Z", 30, "UTC", false, "Tue 1 Dec, 09:00–09:30 UTC"],
  ["2026-12-02T04:30:00Z", 60, "America/New_York", true, "Tue 1 Dec, 11:30 PM EST – Wed 2 Dec, 12:30 AM EST"],
  // Paris springs forward at 01:00 UTC on 29 March 2026, falls back at 01:00 UTC on 25 October.
  ["2026-03-29T00:30:00Z", 60, "Europe/Paris", false, "Sun 29 Mar, 01:30 CET – 03:30 CEST"],
  ["2026-03-29T08:00:00Z", 30, "Europe/Paris", false, "Sun 29 Mar, 10:00–10:30 CEST"],
  ["2026-10-25T00:30:00Z", 60, "Europe/Paris", false, "Sun 25 Oct, 02:30 CEST – 02:30 CET"],
  ["2026-10-25T09:00:00Z", 30, "Europe/Paris", true, "Sun 25 Oct, 10:00–10:30 AM CET"],
  // New York springs forward at 07:00 UTC on 8 March 2026, falls back at 06:00 UTC on 1 November.
  ["2026-03-08T06:30:00Z", 60, "America/New_York", true, "Sun 8 Mar, 1:30 AM EST – 3:30 AM EDT"],
  ["2026-11-01T05:30:00Z", 60, "America/New_York", true, "Sun 1 Nov, 1:30 AM EDT – 1:30 AM EST"],
  ["2026-11-01T15:00:00Z", 30, "America/New_York", true, "Sun 1 Nov, 10:00–10:30 AM EST"],
];

describe("formatSpan", () => {
  it.each(CASES)("%s +%i min in %s (12h=%s)", (iso, minutes, timeZone, hour12, expected) => {
    const [start, end] = at(iso, minutes);
    expect(formatSpan(start, end, { timeZone, hour12 })).toBe(expected);
  });
});

describe("single instants", () => {
  it("names the zone", () => {
    expect(formatDateTimeIn("2026-12-01T09:00:00Z", { timeZone: "America/New_York", hour12: true })).toBe(
      "Tue 1 Dec, 4:00 AM EST",
    );
    expect(formatDateTimeIn("2026-12-01T09:00:00Z", { timeZone: "Europe/Paris", hour12: false })).toBe(
      "Tue 1 Dec, 10:00 CET",
    );
    expect(formatTimeOnly("2026-12-01T12:00:00Z", { timeZone: "UTC", hour12: true })).toBe("12:00 PM UTC");
    expect(formatTimeOnly("2026-12-01T00:05:00Z", { timeZone: "UTC", hour12: true })).toBe("12:05 AM UTC");
  });

  it("uses letters where the tz database has them, the offset elsewhere", () => {
    const summer = new Date("2026-07-01T12:00:00Z");
    expect(zoneLabel(summer, "Europe/Paris")).toBe("CEST");
    expect(zoneLabel(summer, "America/New_York")).toBe("EDT");
    expect(zoneLabel(summer, "Asia/Tokyo")).toBe("JST");
    expect(zoneLabel(summer, "Europe/Lisbon")).toBe("WEST");
    expect(zoneLabel(summer, "America/Sao_Paulo")).toBe("GMT-3");
  });
});
