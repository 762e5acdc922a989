import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { ApiError } from "../api/http";
import { setDisplayPrefs } from "../lib/timefmt";

export type Me = Schemas["Me"];

interface AuthState {
  user: Me | null;
  loading: boolean;
  /** Set when /auth/me failed for a reason other than "not signed in". */
  loadError: string | null;
  login: (email: string, password: string) => Promise<Me>;
  register: (body: Schemas["RegisterRequest"]) => Promise<Me>;
  logout: () => Promise<void>;
  refresh: () => Promise<Me | null>;
}

const AuthContext = createContext<AuthState | null>(null);

/** Every time on every page follows the signed-in person's zone and 12/24-hour choice. */
function adoptPrefs(user: Me | null): void {
  setDisplayPrefs(user ? { timeZone: user.timezone, hour12: user.time_format === "12h" } : null);
}

interface SessionResult {
  user: Me | null;
  loadError: string | null;
}

/** Who is signed in; "not signed in" is an answer, not an error. */
async function fetchSession(): Promise<SessionResult> {
  try {
    // session/ (not me/) answers anonymous visitors with 200, so public pages log no error.
    const session = await unwrap(api.GET("/api/v1/auth/session/"));
    return { user: session.user, loadError: null };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return { user: null, loadError: null };
    return { user: null, loadError: err instanceof Error ? err.message : "Could not reach the server." };
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);

  const apply = useCallback((result: SessionResult) => {
    adoptPrefs(result.user);
    setUser(result.user);
    setLoadError(result.loadError);
    setLoading(false);
    return result.user;
  }, []);

  // State is set when the answer arrives (a callback), never synchronously in the effect below.
  const refresh = useCallback(() => fetchSession().then(apply), [apply]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const login = useCallback(async (email: string, password: string) => {
    const result = await unwrap(api.POST("/api/v1/auth/login/", { body: { email, password } }));
    adoptPrefs(result.user);
    setUser(result.user);
    return result.user;
  }, []);

  const register = useCallback(async (body: Schemas["RegisterRequest"]) => {
    const result = await unwrap(api.POST("/api/v1/auth/register/", { body }));
    adoptPrefs(result.user);
    setUser(result.user);
    return result.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await unwrap(api.POST("/api/v1/auth/logout/"));
    } finally {
      adoptPrefs(null);
      setUser(null);
    }
  }, []);

  const value = useMemo(
    () => ({ user, loading, loadError, login, register, logout, refresh }),
    [user, loading, loadError, login, register, logout, refresh],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}
