import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";

import { ApiError, errorMessage } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { ErrorBox, TextField } from "../components/ui";
import { browserPrefersHour12, browserTimeZone } from "../lib/timefmt";
import { paths } from "../routes";
import authStyles from "./auth.module.css";

export interface SignupValues {
  first_name: string;
  last_name: string;
  email: string;
  password: string;
}

/** Checks the browser can do before a round trip; the server still validates everything. */
export function validateSignup(values: SignupValues): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!values.email.trim()) errors.email = "Enter your email address.";
  else if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email.trim())) errors.email = "Enter a valid email address.";
  if (values.password.length < 8) errors.password = "Use at least 8 characters.";
  return errors;
}

export function SignupPage() {
  const { register } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const next = new URLSearchParams(location.search).get("next") || paths.experts;
  const [values, setValues] = useState<SignupValues>({ first_name: "", last_name: "", email: "", password: "" });
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [serverError, setServerError] = useState<ApiError | null>(null);
  const [otherError, setOtherError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (key: keyof SignupValues) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const errors = validateSignup(values);
    setClientErrors(errors);
    setServerError(null);
    setOtherError(null);
    if (Object.keys(errors).length) return;
    setBusy(true);
    try {
      // The browser's zone and clock habit become the profile's; editable in the settings.
      await register({
        ...values,
        email: values.email.trim(),
        timezone: browserTimeZone(),
        time_format: browserPrefersHour12() ? "12h" : "24h",
      });
      navigate(next.startsWith("/") ? next : paths.experts, { replace: true });
    } catch (err) {
      if (err instanceof ApiError) setServerError(err);
      else setOtherError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const fieldError = (name: keyof SignupValues) => clientErrors[name] ?? serverError?.field(name);
  const namedFields = ["email", "password", "first_name", "last_name"];
  const generalServerError =
    serverError && !namedFields.some((f) => serverError.field(f)) ? serverError.message : null;

  return (
    <section className={`${authStyles.authCard} card`}>
      <h1>Create your account</h1>
      <form onSubmit={onSubmit} noValidate>
        <div className="row">
          <TextField label="First name" name="first_name" autoComplete="given-name" value={values.first_name} onChange={set("first_name")} error={fieldError("first_name")} />
          <TextField label="Last name" name="last_name" autoComplete="family-name" value={values.last_name} onChange={set("last_name")} error={fieldError("last_name")} />
        </div>
        <TextField label="Email" type="email" name="email" autoComplete="email" required value={values.email} onChange={set("email")} error={fieldError("email")} />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters, not only digits, not a common password."
          value={values.password}
          onChange={set("password")}
          error={fieldError("password")}
        />
        <ErrorBox message={generalServerError ?? otherError} />
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? "Creating account…" : "Sign up"}
        </button>
      </form>
      <p>
        Already have an account? <Link to={`/login${location.search}`}>Sign in</Link>
      </p>
    </section>
  );
}
