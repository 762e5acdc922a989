import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { useWeeklyHours, validateRules } from "./useWeeklyHours";

let calls: ReturnType<typeof mockFetch>;
beforeEach(() => {
  calls = mockFetch((url, { body }) => {
    if (url.pathname === "/api/v1/consultations/experts/3/availability/")
      return { status: 200, body: { timezone: "Europe/Paris", next_available_at: null, rules: [{ weekday: 0, start_time: "09:00:00", end_time: "12:00:00" }] } };
    if (url.pathname === "/api/v1/consultations/experts/availability/update/") {
      const rules = (body as { rules: { weekday: number; start_time: string; end_time: string }[] }).rules;
      return { status: 200, body: { timezone: "Europe/Paris", next_available_at: null, rules: rules.map((r) => ({ ...r, start_time: `${r.start_time}:00`, end_time: `${r.end_time}:00` })) } };
    }
  });
});

describe("useWeeklyHours", () => {
  it("edits the stored hours as HH:MM ranges and saves them", async () => {
    const { result } = renderHook(() => useWeeklyHours(3));
    await waitFor(() => expect(result.current.rules).toEqual([{ weekday: 0, start_time: "09:00", end_time: "12:00" }]));
    act(() => result.current.add(2));
    act(() => result.current.update(1, { end_time: "15:00" }));
    await act(() => result.current.save());
    expect(calls.at(-1)?.body).toEqual({
      rules: [
        { weekday: 0, start_time: "09:00", end_time: "12:00" },
        { weekday: 2, start_time: "09:00", end_time: "15:00" },
      ],
    });
    expect(result.current.saved).toBe("Weekly hours saved.");
    expect(result.current.rules).toHaveLength(2);
  });

  it("refuses overlapping ranges without calling the server", async () => {
    const { result } = renderHook(() => useWeeklyHours(3));
    await waitFor(() => expect(result.current.rules).toHaveLength(1));
    act(() => result.current.add(0));
    const before = calls.length;
    await act(() => result.current.save());
    expect(result.current.error).toBe("Monday: 09:00–12:00 overlaps 09:00–17:00.");
    expect(calls.length).toBe(before);
    expect(validateRules([{ weekday: 1, start_time: "10:00", end_time: "09:00" }])).toBe("Tuesday: 09:00 is not after 10:00.");
  });
});
