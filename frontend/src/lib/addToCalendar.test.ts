import { describe, expect, it } from "vitest";

import { buildIcs, googleCalendarUrl, icsStamp, outlookCalendarUrl, type CalendarEvent } from "./addToCalendar";

const event: CalendarEvent = {
  uid: "consultation-42@consult",
  title: "Consultation with Amélie Laurent",
  description: "Topic: VAT, registration; and more",
  start: "2026-12-03T09:00:00Z",
  end: "2026-12-03T09:30:00Z",
  url: "https://consult.example/consultations/42",
};

describe("add to calendar", () => {
  it("writes UTC stamps and escapes text in the .ics file", () => {
    expect(icsStamp("2026-12-03T09:00:00.000Z")).toBe("20261203T090000Z");
    const ics = buildIcs(event, new Date("2026-12-01T00:00:00Z"));
    expect(ics).toContain("DTSTART:20261203T090000Z\r\n");
    expect(ics).toContain("DTEND:20261203T093000Z\r\n");
    expect(ics).toContain("UID:consultation-42@consult\r\n");
    expect(ics).toContain("DESCRIPTION:Topic: VAT\\, registration\\; and more\r\n");
    expect(ics.startsWith("BEGIN:VCALENDAR\r\n")).toBe(true);
    for (const line of ics.split("\r\n")) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
  });

  it("builds Google and Outlook links carrying the same times", () => {
    const google = new URL(googleCalendarUrl(event));
    expect(google.searchParams.get("dates")).toBe("20261203T090000Z/20261203T093000Z");
    expect(google.searchParams.get("text")).toBe("Consultation with Amélie Laurent");
    const outlook = new URL(outlookCalendarUrl(event));
    expect(outlook.searchParams.get("startdt")).toBe("2026-12-03T09:00:00.000Z");
    expect(outlook.searchParams.get("enddt")).toBe("2026-12-03T09:30:00.000Z");
  });
});
