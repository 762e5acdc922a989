import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router-dom";
import { beforeEach, describe, expect, it } from "vitest";

import type { TimeSlot } from "../../components/booking/SlotPicker";
import { mockFetch } from "../../test/fetchMock";
import { useReschedule } from "./useReschedule";

const ALT = { start: "2026-06-02T10:00:00Z", end: "2026-06-02T10:30:00Z" };
let answer: { status: number; body?: unknown } | "network" = { status: 409 };
let calls: ReturnType<typeof mockFetch>;

beforeEach(() => {
  answer = { status: 409, body: { error: { code: "slot_taken", message: "That time was just taken." }, alternatives: [ALT] } };
  calls = mockFetch((url) => {
    if (url.pathname === "/api/v1/consultations/consultations/12/") return { status: 200, body: { id: 12, can_reschedule: true } };
    if (url.pathname === "/api/v1/consultations/consultations/12/reschedule/") {
      if (answer === "network") throw new TypeError("Failed to fetch");
      return answer;
    }
  });
});

const wrapper = ({ children }: { children: ReactNode }) => <MemoryRouter>{children}</MemoryRouter>;
const slot = { start: "2026-06-02T09:00:00Z", end: "2026-06-02T09:30:00Z" } as TimeSlot;
const keys = () => calls.filter((c) => c.path.endsWith("/reschedule/")).map((c) => c.headers.get("Idempotency-Key"));

describe("useReschedule", () => {
  it("asks for a time first", async () => {
    const { result } = renderHook(() => useReschedule(12), { wrapper });
    await waitFor(() => expect(result.current.detail.data).toBeDefined());
    await act(() => result.current.submit(""));
    expect(result.current.error).toBe("Choose a new time.");
    expect(keys()).toHaveLength(0);
  });

  it("shows a taken time's alternatives, refreshes the slots and uses a new key for the next try", async () => {
    const { result } = renderHook(() => useReschedule(12), { wrapper });
    await waitFor(() => expect(result.current.detail.data).toBeDefined());
    act(() => result.current.pick(slot));
    await act(() => result.current.submit(" later "));
    expect(calls.find((c) => c.path.endsWith("/reschedule/"))?.body).toMatchObject({ start_at: slot.start, reason: "later" });
    expect(result.current.conflict).toEqual({ message: "That time was just taken.", alternatives: [ALT] });
    expect(result.current.slot).toBeNull();
    expect(result.current.refreshKey).toBe(1);

    act(() => result.current.pickAlternative(ALT as never));
    expect(result.current.focusStart).toBe(ALT.start);
    expect(result.current.conflict).toBeNull();
    await act(() => result.current.submit(""));
    const [first, second] = keys();
    expect(first).toBeTruthy();
    expect(second).not.toBe(first);
  });

  it("keeps the same key after a network failure, so the retry cannot move the booking twice", async () => {
    answer = "network";
    const { result } = renderHook(() => useReschedule(12), { wrapper });
    await waitFor(() => expect(result.current.detail.data).toBeDefined());
    act(() => result.current.pick(slot));
    await act(() => result.current.submit(""));
    expect(result.current.error).toMatch(/could not be reached/);
    await act(() => result.current.submit(""));
    const [first, second] = keys();
    expect(second).toBe(first);
  });
});
