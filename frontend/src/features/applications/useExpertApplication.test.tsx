import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { latestSocket, ME, realtimeWrapper } from "../../test/realtime";
import { useExpertApplication } from "./useExpertApplication";

let status: Record<string, unknown>;
let calls: ReturnType<typeof mockFetch>;

beforeEach(() => {
  status = { status: "not_applied", is_verified: false, can_apply: true, can_upload_documents: false, application: null };
  calls = mockFetch((url) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/consultations/experts/verification-status/") return { status: 200, body: status };
    if (url.pathname === "/api/v1/consultations/experts/my-application/") return { status: 200, body: { id: 3, status: "changes_requested", documents: [] } };
  });
});

describe("useExpertApplication", () => {
  it("asks for the application only once there is one, and a live verdict is put in words and reloads both", async () => {
    const { Wrapper } = realtimeWrapper();
    const { result } = renderHook(() => useExpertApplication(), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.status?.status).toBe("not_applied");
    expect(result.current.application).toBeNull();
    expect(calls.some((c) => c.path.endsWith("/my-application/"))).toBe(false);

    await waitFor(() => expect(latestSocket()).toBeDefined());
    act(() => latestSocket().accept());
    status = { ...status, status: "changes_requested", can_apply: false, application: { id: 3, status: "changes_requested", documents_count: 0, review_notes: "Add a licence" } };
    act(() => latestSocket().push("verification.updated", { application_status: "changes_requested", expert_status: null }));
    expect(result.current.live).toMatch(/asked for changes/);
    await waitFor(() => expect(result.current.application?.id).toBe(3));
    expect(result.current.status?.status).toBe("changes_requested");
  });

  it("reports a failed status load so the page can offer a retry", async () => {
    mockFetch((url) => {
      if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
      if (url.pathname === "/api/v1/consultations/experts/verification-status/") return { status: 500, body: { error: { code: "server_error", message: "Try again later." } } };
    });
    const { Wrapper } = realtimeWrapper();
    const { result } = renderHook(() => useExpertApplication(), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.error).toBe("Try again later."));
    expect(result.current.status).toBeUndefined();
  });
});
