import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { useApplications, type Application } from "./useApplications";

const APP = { id: 3, applicant: { id: 9, name: "Ana Silva", email: "ana@example.com" }, status: "pending" } as Application;
let pending: Application[];
let calls: ReturnType<typeof mockFetch>;

beforeEach(() => {
  pending = [APP];
  calls = mockFetch((url, { method, body }) => {
    if (url.pathname === "/api/v1/consultations/admin/applications/") {
      const results = url.searchParams.get("status") === "pending" ? pending : [APP, { ...APP, id: 4 }];
      return { status: 200, body: { count: results.length, next: null, previous: null, results } };
    }
    if (url.pathname === "/api/v1/consultations/admin/applications/3/review/" && method === "POST") {
      if ((body as { decision: string }).decision === "request_changes")
        return { status: 409, body: { error: { code: "conflict", message: "Already reviewed by someone else." } } };
      pending = [];
      return { status: 200, body: { ...APP, status: "approved" } };
    }
  });
});
afterEach(() => vi.unstubAllGlobals());

describe("useApplications", () => {
  it("lists one status, and after an approval reloads it and says what happened", async () => {
    const { result } = renderHook(() => useApplications("pending"));
    await waitFor(() => expect(result.current.data?.results.map((a) => a.id)).toEqual([3]));
    let failed: string | null = "";
    await act(async () => {
      failed = await result.current.review(APP, "approve", "  ");
    });
    expect(failed).toBeNull();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ decision: "approve", notes: "" });
    expect(result.current.outcome).toMatch(/^Approved Ana Silva\./);
    await waitFor(() => expect(result.current.data?.results).toEqual([]));
    act(() => result.current.dismissOutcome());
    expect(result.current.outcome).toBeNull();
  });

  it("refuses a rejection without a note before asking the server, and returns the server's refusal", async () => {
    const { result } = renderHook(() => useApplications("pending"));
    await waitFor(() => expect(result.current.data).toBeDefined());
    expect(await result.current.review(APP, "reject", " ")).toBe("Tell the applicant why, in the notes.");
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    let failed: string | null = null;
    await act(async () => {
      failed = await result.current.review(APP, "request_changes", "Add a document");
    });
    expect(failed).toBe("Already reviewed by someone else.");
    expect(result.current.outcome).toBeNull();
  });

  it("asks for every status when none is chosen", async () => {
    const { result } = renderHook(() => useApplications(""));
    await waitFor(() => expect(result.current.data?.results.map((a) => a.id)).toEqual([3, 4]));
    expect(calls[0].path).toBe("/api/v1/consultations/admin/applications/");
  });
});
