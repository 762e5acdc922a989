import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { ApiError } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { ErrorBox, Loading, Notice, TextField } from "../components/ui";
import { paths } from "../routes";
import authStyles from "./auth.module.css";

/** Asks for a reset link. The answer is the same whether or not the email has an account. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await unwrap(api.POST("/api/v1/auth/password/reset/", { body: { email: email.trim() } }));
      setDone(res.detail);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, null));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className={`${authStyles.authCard} card`}>
      <h1>Forgot your password?</h1>
      {done ? (
        <Notice kind="success">{done}</Notice>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <p>Enter the email of your account and we will send you a link to choose a new password.</p>
          <TextField label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={error?.field("email")} />
          <ErrorBox message={error && !error.field("email") ? error.message : null} />
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {busy ? "Sending…" : "Send the link"}
          </button>
        </form>
      )}
      <p>
        <Link to={paths.login}>Back to sign in</Link>
      </p>
    </section>
  );
}

/** The page the reset email links to: /reset-password?uid=…&token=… */
export function ResetPasswordPage() {
  const params = new URLSearchParams(useLocation().search);
  const uid = params.get("uid") ?? "";
  const token = params.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await unwrap(api.POST("/api/v1/auth/password/reset/confirm/", { body: { uid, token, new_password: password } }));
      setDone(res.detail);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, null));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className={`${authStyles.authCard} card`}>
      <h1>Choose a new password</h1>
      {done ? (
        <>
          <Notice kind="success">{done}</Notice>
          <p>
            <Link className="btn btn-primary" to={paths.login}>
              Sign in
            </Link>
          </p>
        </>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <TextField label="New password" type="password" name="new_password" autoComplete="new-password" required hint="At least 8 characters, not only digits, not a common password." value={password} onChange={(e) => setPassword(e.target.value)} error={error?.field("new_password")} />
          <ErrorBox message={error && !error.field("new_password") ? error.message : null} />
          {error?.code === "invalid_token" && (
            <p>
              <Link to="/forgot-password">Ask for a new link</Link>
            </p>
          )}
          <button className="btn btn-primary" type="submit" disabled={busy || !uid || !token}>
            {busy ? "Saving…" : "Save the new password"}
          </button>
        </form>
      )}
    </section>
  );
}

/** The page the email-change confirmation links to: /account/confirm-email?token=… */
export function ConfirmEmailPage() {
  const token = new URLSearchParams(useLocation().search).get("token") ?? "";
  const { refresh } = useAuth();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const sent = useRef(false);

  useEffect(() => {
    if (sent.current) return; // once, even under StrictMode's double effects
    sent.current = true;
    unwrap(api.POST("/api/v1/auth/email/confirm/", { body: { token } }))
      .then((res) => {
        setResult({ ok: true, message: res.detail });
        void refresh();
      })
      .catch((err) => setResult({ ok: false, message: err instanceof Error ? err.message : String(err) }));
  }, [token, refresh]);

  return (
    <section className={`${authStyles.authCard} card`}>
      <h1>Confirm your new email</h1>
      {result === null ? <Loading label="Confirming…" /> : result.ok ? <Notice kind="success">{result.message}</Notice> : <ErrorBox message={result.message} />}
    </section>
  );
}
