import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { ME, realtimeWrapper } from "../../test/realtime";
import { useApiTokens, usePasswordChange } from "./useAccount";

let tokens: { id: number; name: string; key_prefix: string; created_at: string; last_used_at: string | null }[] = [];
let calls: ReturnType<typeof mockFetch>;
beforeEach(() => {
  tokens = [];
  calls = mockFetch((url, { method, body }) => {
    if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: true, user: ME } };
    if (url.pathname === "/api/v1/auth/tokens/" && method === "GET") return { status: 200, body: tokens };
    if (url.pathname === "/api/v1/auth/tokens/" && method === "POST") {
      const name = (body as { name: string }).name;
      if (!name) return { status: 400, body: { error: { code: "invalid", message: "Check the fields.", fields: { name: ["This field may not be blank."] } } } };
      tokens = [{ id: 1, name, key_prefix: "abcd", created_at: "2026-01-01T09:00:00Z", last_used_at: null }];
      return { status: 201, body: { id: 1, name, key: "abcd-secret" } };
    }
    if (url.pathname === "/api/v1/auth/password/change/")
      return { status: 400, body: { error: { code: "invalid", message: "Check the fields.", fields: { current_password: ["Wrong password."] } } } };
  });
});

describe("useApiTokens", () => {
  it("creates a token, shows its key once and lists it; a blank name is an error on the field", async () => {
    const { Wrapper } = realtimeWrapper();
    const { result } = renderHook(() => useApiTokens(), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.tokens).toEqual([]));
    let ok = true;
    await act(async () => {
      ok = await result.current.create("  ");
    });
    expect(ok).toBe(false);
    expect(result.current.error?.field("name")).toBe("This field may not be blank.");
    await act(async () => {
      ok = await result.current.create(" ci ");
    });
    expect(ok).toBe(true);
    expect(calls.filter((c) => c.method === "POST").at(-1)?.body).toEqual({ name: "ci" });
    expect(result.current.created).toBe("abcd-secret");
    expect(result.current.tokens?.map((t) => t.name)).toEqual(["ci"]);
    expect(result.current.error).toBeNull();
  });
});

describe("usePasswordChange", () => {
  it("keeps the server's field errors and reports failure", async () => {
    const { Wrapper } = realtimeWrapper();
    const { result } = renderHook(() => usePasswordChange(), { wrapper: Wrapper });
    let ok = true;
    await act(async () => {
      ok = await result.current.submit({ current_password: "x", new_password: "longenough1" });
    });
    expect(ok).toBe(false);
    expect(result.current.error?.field("current_password")).toBe("Wrong password.");
    expect(result.current.done).toBeNull();
    expect(result.current.busy).toBe(false);
  });
});
