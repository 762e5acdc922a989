import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { latestSocket, ME, realtimeWrapper } from "../../test/realtime";
import { useConsultation } from "./useConsultation";
import { useMyConsultations } from "./useMyConsultations";

let fetches = 0;
let status = "pending";
beforeEach(() => {
  fetches = 0;
  status = "pending";
  mockFetch((url) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/consultations/consultations/12/") {
      fetches += 1;
      return { status: 200, body: { id: 12, status, topic: "VAT" } };
    }
    if (url.pathname === "/api/v1/consultations/consultations/upcoming/")
      return { status: 200, body: { count: 1, next: null, previous: null, results: [{ id: 12, status: "confirmed", topic: "VAT", rating: null }] } };
  });
});

async function connected<T>(hook: () => T, ready: (value: T) => boolean) {
  const { Wrapper } = realtimeWrapper();
  const view = renderHook(hook, { wrapper: Wrapper });
  await waitFor(() => expect(ready(view.result.current)).toBe(true));
  await waitFor(() => expect(latestSocket()).toBeDefined());
  act(() => latestSocket().accept());
  return view;
}

describe("useConsultation", () => {
  it("fetches again when an event names this consultation, also as the previous one of a move", async () => {
    const { result } = await connected(() => useConsultation(12), (d) => d.data !== undefined);
    const before = fetches;
    status = "confirmed";
    act(() => latestSocket().push("booking.confirmed", { id: 99 }));
    act(() => latestSocket().push("booking.confirmed", { id: 12 }));
    await waitFor(() => expect(result.current.data?.status).toBe("confirmed"));
    expect(fetches).toBe(before + 1);
    act(() => latestSocket().push("booking.rescheduled", { id: 40, previous: { id: 12 } }));
    await waitFor(() => expect(fetches).toBe(before + 2));
  });
});

describe("useMyConsultations", () => {
  it("swaps in a cancelled booking and says the refund that is due", async () => {
    const { result } = await connected(() => useMyConsultations(), (s) => s.list.data !== undefined);
    const cancelled = { ...result.current.list.data!.results[0], status: "cancelled", refund_amount: "40.00", currency: "EUR" } as const;
    act(() => result.current.replace(cancelled as never));
    expect(result.current.list.data?.results[0].status).toBe("cancelled");
    expect(result.current.notice).toMatch(/“VAT” is cancelled; it is now under Past\. A refund of .*40.* is due\./);
    act(() => result.current.setTab("past"));
    expect(result.current.notice).toBeNull();
    expect(result.current.page).toBe(1);
  });
});
