import { describe, expect, it } from "vitest";

import { applyBookingEvent } from "./ExpertDashboardPage";

const booking = (status: string) => ({ id: 7, status, start_at: "2026-12-01T09:00:00Z", end_at: "2026-12-01T09:30:00Z", topic: "VAT", user_name: "Erin" });

describe("live booking alerts", () => {
  it("keeps one alert per booking that shows its current state", () => {
    let alerts = applyBookingEvent([], "booking.created", booking("pending"));
    alerts = applyBookingEvent(alerts, "booking.confirmed", booking("confirmed"));
    expect(alerts).toHaveLength(1);
    expect(alerts[0].booking.status).toBe("confirmed");

    // A cancellation after the confirmation turns the same alert into "Booking cancelled".
    alerts = applyBookingEvent(alerts, "booking.cancelled", booking("cancelled"));
    expect(alerts).toHaveLength(1);
    expect(alerts[0].kind).toBe("cancelled");
    expect(alerts[0].booking.status).toBe("cancelled");
  });

  it("does not invent an alert for a confirmation it never announced", () => {
    expect(applyBookingEvent([], "booking.confirmed", booking("confirmed"))).toEqual([]);
  });
});
