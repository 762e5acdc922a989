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
export interface AsyncOptions<T> {
  /**
   * Runs with each answer that is shown (not with stale ones, nor after unmount), in the same
   * update: the place to react to data arriving without an effect.
   */
  onLoad?: (value: T) => void;
}

export function useAsync<T>(load: () => Promise<T>, deps: DependencyList, options: AsyncOptions<T> = {}): AsyncState<T> {
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
  const onLoadRef = useRef(options.onLoad);
  useLayoutEffect(() => {
    loadRef.current = load;
    onLoadRef.current = options.onLoad;
  });

  /** Runs the latest `load`; only the newest run may write its answer. */
  const run = useCallback((): Promise<void> => {
    const mine = ++generation.current;
    return loadRef.current().then(
      (value) => {
        if (mine !== generation.current) return;
        setState({ data: value, error: null, loading: false });
        onLoadRef.current?.(value);
      },
      (err: unknown) => {
        if (mine === generation.current) setState((s) => ({ ...s, error: errorMessage(err), loading: false }));
      },
    );
  }, []);

  useEffect(() => {
    void run();
    // Unmounted (or superseded): an answer still on its way is stale.
    return () => {
      generation.current += 1;
    };
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
