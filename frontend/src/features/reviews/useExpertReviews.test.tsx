import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { latestSocket, ME, realtimeWrapper } from "../../test/realtime";
import { useExpertReviews } from "./useExpertReviews";

const review = (id: number) => ({ id, rating: 5, text: `review ${id}` });
let pages: Record<string, { count: number; next: string | null; results: unknown[] }>;

beforeEach(() => {
  pages = {
    "1": { count: 3, next: "?page=2", results: [review(3), review(2)] },
    "2": { count: 3, next: null, results: [review(1)] },
  };
  mockFetch((url) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/consultations/experts/4/reviews/")
      return { status: 200, body: { previous: null, ...pages[url.searchParams.get("page") ?? "1"] } };
  });
});

describe("useExpertReviews", () => {
  it("appends the next page, and a live review for this expert reloads the first page and the average", async () => {
    const { Wrapper } = realtimeWrapper();
    const { result, rerender } = renderHook(({ avg }: { avg: string }) => useExpertReviews(4, avg, 2), {
      wrapper: Wrapper,
      initialProps: { avg: "4.50" },
    });
    await waitFor(() => expect(result.current.items.map((r) => r.id)).toEqual([3, 2]));
    expect(result.current.more).toBe(true);
    await act(() => result.current.load(2));
    expect(result.current.items.map((r) => r.id)).toEqual([3, 2, 1]);
    expect(result.current.more).toBe(false);

    await waitFor(() => expect(latestSocket()).toBeDefined());
    act(() => latestSocket().accept());
    pages["1"] = { count: 4, next: "?page=2", results: [review(4), review(3)] };
    act(() => latestSocket().push("review.posted", { expert_id: 9, average_rating: "1.00", review_count: 1 }));
    expect(result.current.summary).toEqual({ average: "4.50", count: 2 });
    act(() => latestSocket().push("review.posted", { expert_id: 4, average_rating: "4.75", review_count: 4 }));
    expect(result.current.summary).toEqual({ average: "4.75", count: 4 });
    await waitFor(() => expect(result.current.items.map((r) => r.id)).toEqual([4, 3]));

    // New figures from the page win over the live ones.
    rerender({ avg: "4.80" });
    expect(result.current.summary).toEqual({ average: "4.80", count: 2 });
  });
});
