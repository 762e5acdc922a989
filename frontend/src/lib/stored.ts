/**
 * Work in progress kept in localStorage, so a reload (or a sign-in round trip) does not lose
 * it: chat drafts, the booking form, the expert application. Keys are namespaced and carry
 * the user id where the data is personal, so one browser shared by two people keeps them apart.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

const PREFIX = "consult:";

export function readStored<T>(key: string, fallback: T): T {
  try {
    const raw = window.localStorage.getItem(PREFIX + key);
    if (raw === null) return fallback;
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

export function writeStored(key: string, value: unknown): void {
  try {
    if (value === undefined || value === null || value === "") window.localStorage.removeItem(PREFIX + key);
    else window.localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    /* storage full or disabled (private mode): the draft simply is not kept */
  }
}

export function clearStored(key: string): void {
  writeStored(key, null);
}

/**
 * useState that mirrors itself into localStorage under `key` (written a moment after the last
 * change). Changing `key` loads the value stored under the new key.
 */
export function useStoredState<T>(key: string | null, initial: T, delayMs = 250): [T, (value: T | ((prev: T) => T)) => void, () => void] {
  const [state, setState] = useState<{ key: string | null; value: T }>(() => ({
    key,
    value: key ? readStored(key, initial) : initial,
  }));
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const current = state.key === key ? state.value : key ? readStored(key, initial) : initial;
  if (state.key !== key) setState({ key, value: current });

  // What flush() writes: updated after each commit (refs are not written during render).
  const latest = useRef({ key, value: current });
  useLayoutEffect(() => {
    latest.current = { key, value: current };
  });

  const flush = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (latest.current.key) writeStored(latest.current.key, latest.current.value);
  }, []);

  const set = useCallback(
    (value: T | ((prev: T) => T)) => {
      setState((prev) => {
        const next = typeof value === "function" ? (value as (p: T) => T)(prev.value) : value;
        return { key: prev.key, value: next };
      });
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(flush, delayMs);
    },
    [delayMs, flush],
  );

  const clear = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (latest.current.key) clearStored(latest.current.key);
    setState((prev) => ({ key: prev.key, value: initial }));
    // `initial` is a literal default at every call site.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Write pending changes when the page is hidden or the component goes away.
  useEffect(() => {
    const onHide = () => timer.current && flush();
    window.addEventListener("pagehide", onHide);
    return () => {
      window.removeEventListener("pagehide", onHide);
      if (timer.current) flush();
    };
  }, [flush]);

  return [current, set, clear];
}
