import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { groupSlotsByDay, SlotList, SlotPicker, type TimeSlot } from "./SlotPicker";

function slot(startUtc: string, minutes = 30): TimeSlot {
  const end = new Date(new Date(startUtc).getTime() + minutes * 60_000).toISOString();
  return {
    start: startUtc,
    end,
    start_local: startUtc,
    end_local: end,
    date: startUtc.slice(0, 10),
    expert_start_local: startUtc,
    duration_minutes: minutes,
    available_durations: [minutes],
  };
}

const fmt = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(iso));

describe("SlotList", () => {
  const slots = [slot("2026-03-08T14:00:00Z"), slot("2026-03-08T14:30:00Z")];

  it("shows each slot at its wall-clock time in the viewer's zone", () => {
    const { unmount } = render(<SlotList slots={slots} timeZone="America/New_York" selected={null} onSelect={() => {}} />);
    const ny = screen.getAllByTestId("slot").map((b) => b.textContent);
    // 14:00 UTC on 8 March 2026 is 10:00 in New York (EDT began that morning).
    expect(ny).toEqual([fmt("2026-03-08T14:00:00Z", "America/New_York"), fmt("2026-03-08T14:30:00Z", "America/New_York")]);
    expect(ny[0]).toMatch(/10:00/);
    unmount();

    render(<SlotList slots={slots} timeZone="Asia/Tokyo" selected={null} onSelect={() => {}} />);
    const tokyo = screen.getAllByTestId("slot").map((b) => b.textContent);
    expect(tokyo[0]).toMatch(/11:00|23:00/); // 23:00 in Tokyo, in the locale's clock style
    expect(tokyo[0]).toBe(fmt("2026-03-08T14:00:00Z", "Asia/Tokyo"));
  });

  it("marks the selected slot and reports clicks with the UTC instant", async () => {
    const onSelect = vi.fn();
    render(<SlotList slots={slots} timeZone="UTC" selected={slots[1].start} onSelect={onSelect} />);
    const buttons = within(screen.getByRole("list", { name: "Available times" })).getAllByRole("button");
    expect(buttons[0]).toHaveAttribute("aria-pressed", "false");
    expect(buttons[1]).toHaveAttribute("aria-pressed", "true");
    await userEvent.click(buttons[0]);
    expect(onSelect).toHaveBeenCalledWith(slots[0]);
  });

  it("says so when a day has no free time", () => {
    render(<SlotList slots={[]} timeZone="UTC" selected={null} onSelect={() => {}} />);
    expect(screen.getByText("No free times on this day.")).toBeInTheDocument();
  });
});

describe("groupSlotsByDay", () => {
  it("files a slot under the viewer's calendar day, not the UTC one", () => {
    const late = slot("2026-06-01T23:30:00Z");
    expect([...groupSlotsByDay([late], "UTC").keys()]).toEqual(["2026-06-01"]);
    expect([...groupSlotsByDay([late], "Europe/Paris").keys()]).toEqual(["2026-06-02"]);
    expect([...groupSlotsByDay([late], "America/Los_Angeles").keys()]).toEqual(["2026-06-01"]);
  });

  it("keeps each day's slots in time order across a DST change", () => {
    // Europe/Paris falls back on 25 Oct 2026: 00:30Z and 01:30Z are 02:30 CEST and 02:30 CET.
    const a = slot("2026-10-25T01:30:00Z");
    const b = slot("2026-10-25T00:30:00Z");
    const day = groupSlotsByDay([a, b], "Europe/Paris").get("2026-10-25")!;
    expect(day.map((s) => s.start)).toEqual([b.start, a.start]);
    expect(day.map((s) => fmt(s.start, "Europe/Paris"))).toEqual([fmt(b.start, "Europe/Paris"), fmt(a.start, "Europe/Paris")]);
  });
});

describe("SlotPicker", () => {
  it("opens the next month when nothing is left in this one for the chosen length", async () => {
    // 11:00 on the last day of November: the hour-long sessions left today are gone.
    vi.useFakeTimers({ now: new Date("2026-11-30T11:00:00Z"), shouldAdvanceTime: true });
    try {
      const calls = mockFetch((url) => {
        if (!url.pathname.endsWith("/time-slots/")) return undefined;
        const from = url.searchParams.get("from") ?? "";
        return { status: 200, body: { slots: from.startsWith("2026-12") ? [slot("2026-12-01T09:00:00Z", 60)] : [] } };
      });
      render(<SlotPicker expertId={3} duration={60} selected={null} onSelect={() => {}} timeZone="Europe/Lisbon" />);
      const offered = await screen.findByTestId("slot");
      expect(offered).toHaveAttribute("data-start", "2026-12-01T09:00:00Z");
      await waitFor(() => expect(calls.map((c) => c.path)).toHaveLength(2)); // November, then December
    } finally {
      vi.useRealTimers();
    }
  });
});
