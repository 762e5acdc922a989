import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { DateOverridesEditor, monthGrid, todayIn, validateWindows, weekdayOf } from "./DateOverridesEditor";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("calendar helpers", () => {
  it("lays a month out in Monday-first weeks", () => {
    const weeks = monthGrid(2026, 2); // March 2026 starts on a Sunday
    expect(weeks[0]).toEqual([null, null, null, null, null, null, "2026-03-01"]);
    expect(weeks.at(-1)).toEqual(["2026-03-30", "2026-03-31", null, null, null, null, null]);
    expect(weekdayOf("2026-03-07")).toBe(5); // Saturday
  });

  it("computes today in the expert's zone, not the browser's", () => {
    const now = new Date("2026-03-06T20:00:00Z");
    expect(todayIn("Asia/Tokyo", now)).toBe("2026-03-07");
    expect(todayIn("America/New_York", now)).toBe("2026-03-06");
  });

  it("refuses reversed and overlapping ranges", () => {
    expect(validateWindows([{ start_time: "12:00", end_time: "10:00" }])).toMatch(/not after/);
    expect(
      validateWindows([
        { start_time: "09:00", end_time: "12:00" },
        { start_time: "11:00", end_time: "13:00" },
      ]),
    ).toMatch(/overlaps/);
    expect(validateWindows([{ start_time: "13:00", end_time: "24:00" }])).toBeNull();
  });
});

describe("DateOverridesEditor", () => {
  it("marks overrides on the calendar and saves a date as closed", async () => {
    vi.useFakeTimers({ now: new Date("2026-03-01T12:00:00Z"), toFake: ["Date"] });
    const overrides = [{ date: "2026-03-07", windows: [{ start_time: "10:00", end_time: "12:00" }], closed: false, note: "", updated_at: "2026-03-01T00:00:00Z" }];
    const calls = mockFetch((url, init) => {
      if (url.pathname === "/api/v1/consultations/experts/availability/overrides/" && init.method === "GET") return { status: 200, body: overrides };
      if (url.pathname === "/api/v1/consultations/experts/availability/overrides/2026-03-02/" && init.method === "PUT")
        return { status: 200, body: { date: "2026-03-02", windows: [], closed: true, note: "Holiday", updated_at: "2026-03-01T12:00:00Z" } };
      return undefined;
    });
    render(<DateOverridesEditor timeZone="UTC" weeklyRules={[{ weekday: 0, start_time: "09:00", end_time: "17:00" }]} />);

    expect(await screen.findByRole("button", { name: /Saturday, March 7, 2026: 10:00–12:00/ })).toHaveAttribute("data-state", "custom");
    const monday = screen.getByRole("button", { name: /Monday, March 2, 2026: weekly hours/ });
    await userEvent.click(monday);
    const form = screen.getByRole("form", { name: /Hours on Monday, March 2, 2026/ });
    expect(within(form).getByText("Usually: 09:00–17:00")).toBeInTheDocument();
    await userEvent.click(within(form).getByLabelText("Closed all day"));
    await userEvent.type(within(form).getByLabelText("Note (only you see it)"), "Holiday");
    await userEvent.click(within(form).getByRole("button", { name: "Save hours for this date" }));

    expect(await screen.findByText("Saved: closed that day.")).toBeInTheDocument();
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({ windows: [], note: "Holiday" });
    expect(screen.getByRole("button", { name: /Monday, March 2, 2026: Closed/ })).toHaveAttribute("data-state", "closed");
  });

  it("shows the server's message when it refuses", async () => {
    vi.useFakeTimers({ now: new Date("2026-03-01T12:00:00Z"), toFake: ["Date"] });
    mockFetch((_url, init) => {
      if (init.method === "GET") return { status: 200, body: [] };
      if (init.method === "PUT")
        return { status: 400, body: { error: { code: "invalid", message: "This date has already passed.", fields: { date: ["This date has already passed."] } } } };
      return undefined;
    });
    render(<DateOverridesEditor timeZone="UTC" weeklyRules={[]} />);
    await userEvent.click(await screen.findByRole("button", { name: /Saturday, March 7, 2026: not working/ }));
    await userEvent.click(screen.getByRole("button", { name: "Save hours for this date" }));
    expect(await screen.findByText("This date has already passed.")).toBeInTheDocument();
  });
});
