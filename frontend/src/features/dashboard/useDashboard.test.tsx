import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { latestSocket, ME, realtimeWrapper } from "../../test/realtime";
import { applyBookingEvent, useDashboard } from "./useDashboard";

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

const consultation = (id: number, status: string, start: string) => ({ id, status, start_at: start, end_at: start, topic: `t${id}`, user: { name: "Erin" } });
let dashboardLoads = 0;
let calls: ReturnType<typeof mockFetch>;

beforeEach(() => {
  dashboardLoads = 0;
  calls = mockFetch((url, { method }) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/consultations/experts/dashboard/") {
      dashboardLoads += 1;
      return {
        status: 200,
        body: {
          pending_confirmation: [consultation(1, "pending", "2026-12-01T09:00:00Z")],
          pending_confirmation_count: 1,
          upcoming: [consultation(1, "pending", "2026-12-01T09:00:00Z"), consultation(2, "confirmed", "2026-12-02T09:00:00Z")],
          upcoming_count: 4,
        },
      };
    }
    if (url.pathname === "/api/v1/consultations/experts/consultations/") {
      const page = url.searchParams.get("page");
      if (page === "1")
        return { status: 200, body: { count: 4, next: "?page=2", previous: null, results: [consultation(2, "confirmed", "2026-12-02T09:00:00Z"), consultation(3, "confirmed", "2026-12-03T09:00:00Z")] } };
      return { status: 200, body: { count: 4, next: null, previous: "?page=1", results: [consultation(4, "cancelled", "2026-12-04T09:00:00Z")] } };
    }
    if (url.pathname === "/api/v1/consultations/consultations/1/confirm/" && method === "POST") return { status: 200, body: consultation(1, "confirmed", "2026-12-01T09:00:00Z") };
  });
});

describe("useDashboard", () => {
  it("pages through later bookings once each, leaving requests and cancelled ones out of the agenda", async () => {
    const { Wrapper } = realtimeWrapper();
    const { result } = renderHook(() => useDashboard(), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.data).toBeDefined());
    expect(result.current.requests.map((c) => c.id)).toEqual([1]);
    expect(result.current.upcoming.map((c) => c.id)).toEqual([2]);
    expect(result.current.hasMore).toBe(true);
    expect(result.current.laterCount).toBe(2);

    await act(() => result.current.showMore());
    expect(result.current.upcoming.map((c) => c.id)).toEqual([2, 3]);
    expect(result.current.hasMore).toBe(true);
    await act(() => result.current.showMore());
    expect(result.current.upcoming.map((c) => c.id)).toEqual([2, 3]);
    expect(result.current.hasMore).toBe(false);
  });

  it("turns a live booking into an alert that can be confirmed, and reloads the figures", async () => {
    const { Wrapper } = realtimeWrapper();
    const { result } = renderHook(() => useDashboard(), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.data).toBeDefined());
    await waitFor(() => expect(latestSocket()).toBeDefined());
    act(() => latestSocket().accept());

    act(() => latestSocket().push("booking.created", { ...booking("pending"), id: 1 }));
    expect(result.current.alerts.map((a) => [a.bookingId, a.kind, a.booking.status])).toEqual([[1, "created", "pending"]]);
    await waitFor(() => expect(dashboardLoads).toBe(2));

    await act(() => result.current.confirmFromAlert(result.current.alerts[0]));
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/v1/consultations/consultations/1/confirm/")).toBe(true);
    expect(result.current.alerts[0].booking.status).toBe("confirmed");
    await waitFor(() => expect(dashboardLoads).toBe(3));

    act(() => result.current.dismissAlert(1));
    expect(result.current.alerts).toEqual([]);
  });
});
