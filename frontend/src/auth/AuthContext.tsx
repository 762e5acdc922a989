import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { ApiError } from "../api/http";

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

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      // session/ (not me/) answers anonymous visitors with 200, so public pages log no error.
      const session = await unwrap(api.GET("/api/v1/auth/session/"));
      setUser(session.user);
      setLoadError(null);
      return session.user;
    } catch (err) {
      setUser(null);
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setLoadError(null);
      else setLoadError(err instanceof Error ? err.message : "Could not reach the server.");
      return null;
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const login = useCallback(async (email: string, password: string) => {
    const result = await unwrap(api.POST("/api/v1/auth/login/", { body: { email, password } }));
    setUser(result.user);
    return result.user;
  }, []);

  const register = useCallback(async (body: Schemas["RegisterRequest"]) => {
    const result = await unwrap(api.POST("/api/v1/auth/register/", { body }));
    setUser(result.user);
    return result.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await unwrap(api.POST("/api/v1/auth/logout/"));
    } finally {
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
