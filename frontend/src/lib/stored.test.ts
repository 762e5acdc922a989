import { act, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { readStored, useStoredState, writeStored } from "./stored";

afterEach(() => {
  window.localStorage.clear();
  vi.useRealTimers();
});

describe("useStoredState", () => {
  it("writes changes to localStorage and a new mount reads them back", () => {
    vi.useFakeTimers();
    const first = renderHook(() => useStoredState("draft:1", ""));
    act(() => first.result.current[1]("half a sentence"));
    act(() => vi.advanceTimersByTime(300));
    expect(readStored("draft:1", "")).toBe("half a sentence");
    first.unmount();

    const second = renderHook(() => useStoredState("draft:1", ""));
    expect(second.result.current[0]).toBe("half a sentence");
  });

  it("keeps values per key and switches when the key changes", () => {
    writeStored("draft:a", "for a");
    writeStored("draft:b", "for b");
    const { result, rerender } = renderHook(({ k }) => useStoredState(k, ""), { initialProps: { k: "draft:a" } });
    expect(result.current[0]).toBe("for a");
    rerender({ k: "draft:b" });
    expect(result.current[0]).toBe("for b");
  });

  it("clear() forgets the stored value", () => {
    writeStored("draft:c", "typed");
    const { result } = renderHook(() => useStoredState("draft:c", ""));
    act(() => result.current[2]());
    expect(result.current[0]).toBe("");
    expect(window.localStorage.getItem("consult:draft:c")).toBeNull();
  });

  it("flushes a pending change on unmount", () => {
    vi.useFakeTimers();
    const { result, unmount } = renderHook(() => useStoredState("draft:d", ""));
    act(() => result.current[1]("not yet written"));
    expect(readStored("draft:d", "")).toBe("");
    unmount();
    expect(readStored("draft:d", "")).toBe("not yet written");
  });
});
