import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";

import { ErrorBox, Loading } from "../components/ui";
import { useAuth } from "./AuthContext";
import { paths } from "../routes";

export function RequireAuth({ children, expert = false }: { children: ReactNode; expert?: boolean }) {
  const { user, loading, loadError, refresh } = useAuth();
  const location = useLocation();
  if (loading) return <Loading label="Checking your session…" />;
  if (loadError) return <ErrorBox message={loadError} onRetry={() => void refresh()} />;
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (expert && !user.roles.is_expert) {
    return <Navigate to={paths.apply} replace />;
  }
  return <>{children}</>;
}
