import { useCallback, useEffect, useLayoutEffect, useRef, useState, type DependencyList } from "react";

import { errorMessage } from "../api/http";

export interface AsyncState<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (update: T | ((prev: T | undefined) => T)) => void;
}

interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
}

function sameDeps(a: DependencyList, b: DependencyList): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/**
 * Loads data for a page when mounted and whenever `deps` change; stale answers from an earlier
 * load are ignored. The data hooks in src/features/ are built on it.
 */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: null, loading: true });
  // New deps start a new load: "loading" flips during this render (not in an effect), and the
  // version change re-runs the fetching effect below.
  const [tracked, setTracked] = useState({ deps, version: 0 });
  if (!sameDeps(tracked.deps, deps)) {
    setTracked({ deps, version: tracked.version + 1 });
    setState((s) => (s.loading && !s.error ? s : { ...s, loading: true, error: null }));
  }

  const generation = useRef(0);
  const loadRef = useRef(load);
  useLayoutEffect(() => {
    loadRef.current = load;
  });

  /** Runs the latest `load`; only the newest run may write its answer. */
  const run = useCallback((): Promise<void> => {
    const mine = ++generation.current;
    return loadRef.current().then(
      (value) => {
        if (mine === generation.current) setState({ data: value, error: null, loading: false });
      },
      (err: unknown) => {
        if (mine === generation.current) setState((s) => ({ ...s, error: errorMessage(err), loading: false }));
      },
    );
  }, []);

  useEffect(() => {
    void run();
  }, [run, tracked.version]);

  const reload = useCallback(() => {
    setState((s) => ({ ...s, loading: true, error: null }));
    return run();
  }, [run]);

  const setData = useCallback((update: T | ((prev: T | undefined) => T)) => {
    setState((s) => ({
      ...s,
      data: typeof update === "function" ? (update as (p: T | undefined) => T)(s.data) : update,
    }));
  }, []);

  return { data: state.data, error: state.error, loading: state.loading, reload, setData };
}
