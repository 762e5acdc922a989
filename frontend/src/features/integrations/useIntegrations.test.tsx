import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { useExternalCalendars, useWebhooks } from "./useIntegrations";

let calendarFetches = 0;
let calls: ReturnType<typeof mockFetch>;
beforeEach(() => {
  calendarFetches = 0;
  calls = mockFetch((url, { method }) => {
    if (url.pathname === "/api/v1/integrations/calendars/" && method === "GET") {
      calendarFetches += 1;
      return { status: 200, body: [] };
    }
    if (url.pathname === "/api/v1/integrations/webhooks/" && method === "GET") return { status: 200, body: [] };
    if (url.pathname === "/api/v1/integrations/webhooks/" && method === "POST")
      return { status: 201, body: { id: 4, url: "https://example.com/h", events: ["booking.created"], active: true, secret: "whsec_1", secret_hint: "…_1" } };
  });
});

describe("useExternalCalendars", () => {
  it("fetches again whenever the live version moves, not before", async () => {
    const { result, rerender } = renderHook(({ version }) => useExternalCalendars(version), { initialProps: { version: 0 } });
    await waitFor(() => expect(result.current.feeds.data).toEqual([]));
    expect(calendarFetches).toBe(1);
    rerender({ version: 1 });
    await waitFor(() => expect(calendarFetches).toBe(2));
  });

  it("asks for an address before sending anything", async () => {
    const { result } = renderHook(() => useExternalCalendars());
    await waitFor(() => expect(result.current.feeds.data).toEqual([]));
    await act(async () => {
      expect(await result.current.add("  ", "Work")).toBe(false);
    });
    expect(result.current.error).toBe("Paste the calendar's secret iCal address.");
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });
});

describe("useWebhooks", () => {
  it("refuses plain http and an empty event list, then adds and keeps the secret to show once", async () => {
    const { result } = renderHook(() => useWebhooks());
    await waitFor(() => expect(result.current.endpoints.data).toEqual([]));
    await act(async () => {
      expect(await result.current.add("http://example.com/h", ["booking.created"], "")).toBe(false);
    });
    expect(result.current.error).toBe("Use an https:// address.");
    await act(async () => {
      expect(await result.current.add("https://example.com/h", [], "")).toBe(false);
    });
    expect(result.current.error).toBe("Choose at least one event.");
    await act(async () => {
      expect(await result.current.add(" https://example.com/h ", ["booking.created"], "CRM")).toBe(true);
    });
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ url: "https://example.com/h", events: ["booking.created"], description: "CRM" });
    expect(result.current.secret).toEqual({ id: 4, secret: "whsec_1" });
    expect(result.current.endpoints.data?.map((e) => e.id)).toEqual([4]);
  });
});
