import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, useLocation } from "react-router-dom";
import { beforeEach, describe, expect, it } from "vitest";

import { AuthProvider, useAuth } from "../../auth/AuthContext";
import type { TimeSlot } from "../../components/booking/SlotPicker";
import { mockFetch } from "../../test/fetchMock";
import { ME } from "../../test/realtime";
import { useBooking, type Expert } from "./useBooking";

const EXPERT = { id: 3, name: "Amélie Laurent", session_lengths: [30, 60], hourly_rate: "120.00", currency: "EUR", timezone: "Europe/Paris" } as unknown as Expert;
const SLOT = { start: "2026-06-02T09:00:00Z", end: "2026-06-02T09:30:00Z" } as TimeSlot;
const ALT = { start: "2026-06-02T10:00:00Z", end: "2026-06-02T10:30:00Z" };

let answer: { status: number; body?: unknown } | "network";
let signedIn = true;
let calls: ReturnType<typeof mockFetch>;

beforeEach(() => {
  window.localStorage.clear();
  signedIn = true;
  answer = { status: 409, body: { error: { code: "slot_taken", message: "That time was just taken." }, alternatives: [ALT] } };
  calls = mockFetch((url) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: signedIn ? { authenticated: true, user: ME } : { authenticated: false, user: null } };
    if (url.pathname === "/api/v1/consultations/consultations/book/") {
      if (answer === "network") throw new TypeError("Failed to fetch");
      return answer;
    }
  });
});

function renderBooking(initial = "/consultations/book?expert=3") {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MemoryRouter initialEntries={[initial]}>
      <AuthProvider>{children}</AuthProvider>
    </MemoryRouter>
  );
  return renderHook(
    () => {
      const booking = useBooking(EXPERT);
      const location = useLocation();
      const auth = useAuth();
      return { booking, location, auth };
    },
    { wrapper },
  );
}
const bookKeys = () => calls.filter((c) => c.path.endsWith("/book/")).map((c) => c.headers.get("Idempotency-Key"));

describe("useBooking", () => {
  it("starts from the URL and keeps each choice in it", async () => {
    const { result } = renderBooking("/consultations/book?expert=3&length=60&topic=VAT");
    expect(result.current.booking.duration).toBe(60);
    expect(result.current.booking.topic).toBe("VAT");
    expect(result.current.booking.step).toBe("pick");
    act(() => result.current.booking.pick(SLOT));
    expect(result.current.booking.step).toBe("confirm");
    expect(result.current.booking.slot).toEqual({ start: SLOT.start, end: "2026-06-02T10:00:00.000Z" });
    const params = new URLSearchParams(result.current.location.search);
    expect(params.get("slot")).toBe(SLOT.start);
    expect(params.get("date")).toBeTruthy();
    act(() => result.current.booking.chooseLength(30));
    expect(new URLSearchParams(result.current.location.search).get("slot")).toBeNull();
    expect(result.current.booking.step).toBe("pick");
  });

  it("offers alternatives for a taken time and stays on the confirm step until one is picked", async () => {
    const { result } = renderBooking("/consultations/book?expert=3&topic=VAT");
    await waitFor(() => expect(result.current.auth.loading).toBe(false));
    act(() => result.current.booking.pick(SLOT));
    await act(() => result.current.booking.book());
    expect(result.current.booking.conflict?.alternatives).toEqual([ALT]);
    expect(result.current.booking.slot).toBeNull();
    expect(result.current.booking.step).toBe("confirm");
    expect(result.current.booking.refreshKey).toBe(1);
    act(() => result.current.booking.pickAlternative(ALT as never));
    expect(result.current.booking.slot?.start).toBe(ALT.start);
    // The new slot in the URL clears the conflict box.
    expect(result.current.booking.conflict).toBeNull();
    expect(result.current.booking.focusStart).toBe(ALT.start);
  });

  it("keeps the idempotency key after a network failure so a second press cannot double-book", async () => {
    answer = "network";
    const { result } = renderBooking("/consultations/book?expert=3&topic=VAT");
    await waitFor(() => expect(result.current.auth.loading).toBe(false));
    act(() => result.current.booking.pick(SLOT));
    await act(() => result.current.booking.book());
    await act(() => result.current.booking.book());
    const [first, second] = bookKeys();
    expect(first).toBeTruthy();
    expect(second).toBe(first);
    expect(result.current.booking.error).toMatch(/could not be reached/);
  });

  it("asks for a topic before sending anything", async () => {
    const { result } = renderBooking();
    await waitFor(() => expect(result.current.auth.loading).toBe(false));
    act(() => result.current.booking.pick(SLOT));
    await act(() => result.current.booking.book());
    const err = result.current.booking.error;
    expect(typeof err === "object" && err?.field("topic")).toBe("Tell the expert what it is about.");
    expect(bookKeys()).toHaveLength(0);
  });
});
