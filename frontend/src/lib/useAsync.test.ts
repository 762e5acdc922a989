import { act, renderHook, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { useAsync } from "./useAsync";

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("useAsync", () => {
  it("shows only the answer to the newest question, and is loading while it waits", async () => {
    const answers = { a: deferred<string>(), b: deferred<string>() };
    const onLoad = vi.fn();
    const { result, rerender } = renderHook(({ q }: { q: "a" | "b" }) => useAsync(() => answers[q].promise, [q], { onLoad }), {
      initialProps: { q: "a" },
    });
    expect(result.current.loading).toBe(true);
    rerender({ q: "b" });
    expect(result.current.loading).toBe(true);
    await act(async () => answers.a.resolve("stale"));
    expect(result.current.data).toBeUndefined();
    await act(async () => answers.b.resolve("fresh"));
    expect(result.current).toMatchObject({ data: "fresh", loading: false, error: null });
    expect(onLoad.mock.calls).toEqual([["fresh"]]);
  });

  it("keeps the data and reports the error of a failed reload", async () => {
    let fail = false;
    const { result } = renderHook(() => useAsync(() => (fail ? Promise.reject(new Error("boom")) : Promise.resolve(1)), []));
    await waitFor(() => expect(result.current.data).toBe(1));
    fail = true;
    await act(() => result.current.reload());
    expect(result.current).toMatchObject({ data: 1, loading: false });
    expect(result.current.error).toBeTruthy();
  });

  it("ignores an answer that arrives after unmount", async () => {
    const answer = deferred<number>();
    const onLoad = vi.fn();
    const { unmount } = renderHook(() => useAsync(() => answer.promise, [], { onLoad }));
    unmount();
    await act(async () => answer.resolve(1));
    expect(onLoad).not.toHaveBeenCalled();
  });
});
