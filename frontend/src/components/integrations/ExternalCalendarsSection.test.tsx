import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { ExternalCalendarsSection } from "./ExternalCalendarsSection";

const BROKEN = {
  id: 1,
  name: "Work",
  url_display: "https://calendar.google.com/…",
  enabled: true,
  status: "error",
  last_fetch_at: "2026-03-10T12:00:00Z",
  last_success_at: "2026-03-10T11:45:00Z",
  last_error: "The server answered HTTP 404.",
  busy_count: 3,
  created_at: "2026-03-01T00:00:00Z",
};

afterEach(() => vi.unstubAllGlobals());

describe("ExternalCalendarsSection", () => {
  it("shows each calendar's status and last fetch", async () => {
    mockFetch((url) => (url.pathname === "/api/v1/integrations/calendars/" ? { status: 200, body: [BROKEN] } : undefined));
    render(<ExternalCalendarsSection />);
    expect(await screen.findByText("Problem: The server answered HTTP 404.")).toHaveAttribute("data-state", "error");
    expect(screen.getByText(/Last fetched .* last good fetch/)).toBeInTheDocument();
  });

  it("shows the server's reason next to the address field", async () => {
    const calls = mockFetch((_url, init) => {
      if (init.method === "GET") return { status: 200, body: [] };
      if (init.method === "POST")
        return {
          status: 400,
          body: { error: { code: "unsafe_url", message: "Use an https:// address.", fields: { url: ["Use an https:// address."] } } },
        };
      return undefined;
    });
    render(<ExternalCalendarsSection />);
    await userEvent.type(await screen.findByLabelText("iCal address"), "ftp://x/cal.ics");
    await userEvent.click(screen.getByRole("button", { name: "Add calendar" }));
    expect(await screen.findByText("Use an https:// address.")).toBeInTheDocument();
    expect(screen.getByLabelText("iCal address")).toHaveAttribute("aria-invalid", "true");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ url: "ftp://x/cal.ics", name: "" });
  });

  it("adds a calendar and lists it", async () => {
    const added = { ...BROKEN, id: 2, name: "Home", status: "pending", last_error: "", last_fetch_at: null, last_success_at: null, busy_count: 0 };
    mockFetch((_url, init) => {
      if (init.method === "GET") return { status: 200, body: [] };
      if (init.method === "POST") return { status: 201, body: added };
      return undefined;
    });
    render(<ExternalCalendarsSection />);
    await userEvent.type(await screen.findByLabelText("iCal address"), "https://example.com/basic.ics");
    await userEvent.type(screen.getByLabelText("Name (optional)"), "Home");
    await userEvent.click(screen.getByRole("button", { name: "Add calendar" }));
    expect(await screen.findByText("Waiting for the first fetch…")).toBeInTheDocument();
    expect(screen.getByText("Home")).toBeInTheDocument();
  });
});
