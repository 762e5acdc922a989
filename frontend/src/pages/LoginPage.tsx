import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";

import { ApiError, errorMessage } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { ErrorBox, TextField } from "../components/ui";
import { paths } from "../routes";
import authStyles from "./auth.module.css";

export function LoginPage() {
  const { login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const next = new URLSearchParams(location.search).get("next") || paths.experts;
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
      navigate(next.startsWith("/") ? next : paths.experts, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const apiError = error instanceof ApiError ? error : null;
  return (
    <section className={`${authStyles.authCard} card`}>
      <h1>Sign in</h1>
      <form onSubmit={onSubmit} noValidate>
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={apiError?.field("email")}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={apiError?.field("password")}
        />
        {typeof error === "string" && <ErrorBox message={error} />}
        {apiError && !apiError.field("email") && !apiError.field("password") && <ErrorBox message={apiError.message} />}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        New here? <Link to={`/signup${location.search}`}>Create an account</Link>
      </p>
    </section>
  );
}
