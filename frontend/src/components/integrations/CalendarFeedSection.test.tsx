import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { CalendarFeedSection } from "./CalendarFeedSection";

const FEED = {
  url: "http://127.0.0.1:8000/api/v1/integrations/calendar.ics?token=old",
  webcal_url: "webcal://127.0.0.1:8000/api/v1/integrations/calendar.ics?token=old",
  google_url: "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F127.0.0.1",
  timezone: "Europe/Paris",
  created_at: "2026-11-01T10:00:00Z",
  last_polled_at: null,
};

afterEach(() => vi.unstubAllGlobals());

describe("CalendarFeedSection", () => {
  it("shows the secret address with copy and add-to-calendar links", async () => {
    mockFetch((url) => (url.pathname === "/api/v1/integrations/calendar-feed/" ? { status: 200, body: FEED } : undefined));
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    render(<CalendarFeedSection />);
    expect(await screen.findByLabelText("Calendar address")).toHaveValue(FEED.url);
    expect(screen.getByRole("link", { name: "Add to Google Calendar" })).toHaveAttribute("href", FEED.google_url);
    expect(screen.getByRole("link", { name: "Open in Apple Calendar / Outlook" })).toHaveAttribute("href", FEED.webcal_url);
    expect(screen.getByText(/No calendar has fetched it yet/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith(FEED.url);
    expect(await screen.findByText("Address copied.")).toBeInTheDocument();
  });

  it("makes a new address after confirmation", async () => {
    const calls = mockFetch((url, init) => {
      if (url.pathname === "/api/v1/integrations/calendar-feed/") return { status: 200, body: FEED };
      if (url.pathname === "/api/v1/integrations/calendar-feed/regenerate/" && init.method === "POST")
        return { status: 200, body: { ...FEED, url: FEED.url.replace("old", "new") } };
      return undefined;
    });
    vi.stubGlobal("confirm", () => true);
    render(<CalendarFeedSection />);
    await userEvent.click(await screen.findByRole("button", { name: "Make a new address" }));
    expect(await screen.findByText("New address made. The old one no longer works.")).toBeInTheDocument();
    expect(screen.getByLabelText("Calendar address")).toHaveValue(FEED.url.replace("old", "new"));
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(1);
  });
});
