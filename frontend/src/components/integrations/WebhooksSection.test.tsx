import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { WebhooksSection } from "./WebhooksSection";

const ENDPOINT = {
  id: 3,
  url: "https://hooks.example.com/consult",
  description: "CRM",
  events: ["booking.created"],
  active: true,
  scope: "expert",
  secret_hint: "…abcd",
  created_at: "2026-03-01T00:00:00Z",
};
const DELIVERY = {
  id: "0b7c4d3e-1111-2222-3333-444455556666",
  event_type: "booking.created",
  event_id: "evt_1",
  status: "retrying",
  attempts: 2,
  next_attempt_at: "2026-03-01T00:05:00Z",
  last_status_code: 500,
  last_latency_ms: 41,
  last_response_excerpt: "upstream down",
  last_error: "HTTP 500",
  replay_of: null,
  created_at: "2026-03-01T00:00:00Z",
  delivered_at: null,
  payload: {},
  log: [],
};

afterEach(() => vi.unstubAllGlobals());

describe("WebhooksSection", () => {
  it("creates an endpoint, shows its secret once, and sends the chosen events", async () => {
    const calls = mockFetch((url, init) => {
      if (url.pathname === "/api/v1/integrations/webhooks/" && init.method === "GET") return { status: 200, body: [] };
      if (url.pathname === "/api/v1/integrations/webhooks/" && init.method === "POST")
        return { status: 201, body: { ...ENDPOINT, events: ["booking.created", "booking.cancelled"], secret: "whsec_supersecret" } };
      return undefined;
    });
    render(<WebhooksSection />);
    await userEvent.type(await screen.findByLabelText("Endpoint URL"), "https://hooks.example.com/consult");
    for (const label of ["Booking confirmed", "Booking moved", "Call started", "Call ended", "New review"]) {
      await userEvent.click(screen.getByRole("checkbox", { name: new RegExp(label) }));
    }
    await userEvent.click(screen.getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByText("whsec_supersecret")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({
      url: "https://hooks.example.com/consult",
      events: ["booking.created", "booking.cancelled"],
      description: "",
    });
  });

  it("refuses a plain http address before calling the server", async () => {
    const calls = mockFetch((_url, init) => (init.method === "GET" ? { status: 200, body: [] } : undefined));
    render(<WebhooksSection />);
    await userEvent.type(await screen.findByLabelText("Endpoint URL"), "http://hooks.example.com/x");
    await userEvent.click(screen.getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByText("Use an https:// address.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });

  it("lists deliveries with status, latency and answer, and replays one", async () => {
    const calls = mockFetch((url, init) => {
      if (url.pathname === "/api/v1/integrations/webhooks/") return { status: 200, body: [ENDPOINT] };
      if (url.pathname === "/api/v1/integrations/webhooks/3/deliveries/") return { status: 200, body: [DELIVERY] };
      if (url.pathname === `/api/v1/integrations/webhooks/deliveries/${DELIVERY.id}/replay/` && init.method === "POST")
        return { status: 202, body: { ...DELIVERY, id: "9b7c4d3e-1111-2222-3333-444455556666", status: "pending", attempts: 0, replay_of: DELIVERY.id } };
      return undefined;
    });
    render(<WebhooksSection />);
    await userEvent.click(await screen.findByRole("button", { name: "Deliveries" }));
    const table = await screen.findByRole("table", { name: "Deliveries" });
    expect(within(table).getByText(/Retrying · 2 attempts · 41 ms/)).toBeInTheDocument();
    expect(within(table).getByText("upstream down")).toBeInTheDocument();
    await userEvent.click(within(table).getByRole("button", { name: "Send again" }));
    expect(await screen.findByText("booking.created queued again.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(1);
    expect(screen.getByText("(replay)")).toBeInTheDocument();
  });
});
