import { useMemo, useState, type FormEvent } from "react";

import { useAuth } from "../auth/AuthContext";
import { CalendarFeedSection } from "../components/integrations/CalendarFeedSection";
import { ErrorBox, Loading, Notice, SelectField, TextField } from "../components/ui";
import { useApiTokens, useEmailChange, usePasswordChange, useProfile, useSaveProfile, type Profile } from "../features/account/useAccount";
import { loadCurrencies, localeCurrency } from "../lib/currency";
import { browserTimeZone, formatDateTimeIn, formatSpan, knownZones } from "../lib/timefmt";
import { useAsync } from "../lib/useAsync";
import styles from "./AccountPage.module.css";

const SAMPLE_START = "2026-12-01T09:00:00Z";
const SAMPLE_END = "2026-12-01T09:30:00Z";

/** Account settings: how times are shown, name, phone, email preferences, email, password, tokens. */
export function AccountPage() {
  const { user } = useAuth();
  const { data: profile, error: loadError, setData: setProfile } = useProfile();

  if (loadError) return <ErrorBox message={loadError} />;
  if (!profile) return <Loading />;
  return (
    <section className={styles.accountPage}>
      <h1>Account settings</h1>
      <ProfileForm profile={profile} onSaved={setProfile} />
      <NotificationPrefs profile={profile} onSaved={setProfile} />
      <CalendarFeedSection isExpert={Boolean(user?.roles.is_expert)} />
      <EmailForm current={profile.email} />
      <PasswordForm />
      <TokensPanel />
    </section>
  );
}

function ProfileForm({ profile, onSaved }: { profile: Profile; onSaved: (p: Profile) => void }) {
  const [displayName, setDisplayName] = useState(profile.display_name ?? "");
  const [zone, setZone] = useState(profile.effective_timezone);
  const [timeFormat, setTimeFormat] = useState(profile.time_format ?? "24h");
  const [phone, setPhone] = useState(profile.phone ?? "");
  const [currency, setCurrency] = useState(profile.currency ?? "");
  const currencies = useAsync(() => loadCurrencies(), []);
  const localCurrency = localeCurrency(navigator.language || "en-US");
  const { save, error, other, saved, busy } = useSaveProfile(onSaved);
  const zones = useMemo(() => {
    const all = knownZones();
    return all.includes(zone) ? all : [zone, ...all];
  }, [zone]);
  const detected = browserTimeZone();
  const sample = formatSpan(SAMPLE_START, SAMPLE_END, { timeZone: zone, hour12: timeFormat === "12h" });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void save({ display_name: displayName, timezone: zone, time_format: timeFormat, currency, phone });
  }

  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile and time</h2>
      <TextField
        label="Display name"
        name="display_name"
        value={displayName}
        maxLength={150}
        hint="What experts and clients see. Empty: your first and last name."
        onChange={(e) => setDisplayName(e.target.value)}
        error={error?.field("display_name")}
      />
      <SelectField
        label="Time zone"
        name="timezone"
        value={zone}
        onChange={(e) => setZone(e.target.value)}
        error={error?.field("timezone")}
        hint={zone !== detected ? `This browser is in ${detected}.` : "Detected from this browser."}
      >
        {zones.map((z) => (
          <option key={z} value={z}>
            {z.replace(/_/g, " ")}
          </option>
        ))}
      </SelectField>
      <fieldset className="field">
        <legend>Clock</legend>
        <label>
          <input type="radio" name="time_format" value="24h" checked={timeFormat === "24h"} onChange={() => setTimeFormat("24h")} /> 24-hour (16:00)
        </label>{" "}
        <label>
          <input type="radio" name="time_format" value="12h" checked={timeFormat === "12h"} onChange={() => setTimeFormat("12h")} /> 12-hour (4:00 PM)
        </label>
      </fieldset>
      <p className="hint" data-testid="time-sample">
        Times will look like: <strong>{sample}</strong>
      </p>
      <SelectField
        label="Show prices in"
        name="currency"
        value={currency}
        onChange={(e) => setCurrency(e.target.value)}
        error={error?.field("currency")}
        hint="Experts' prices are compared in this currency (approximate rates); you pay in the expert's own."
      >
        <option value="">Follow this browser{localCurrency ? ` (${localCurrency})` : ""}</option>
        {(currencies.data?.currencies ?? []).map((c) => (
          <option key={c.code} value={c.code}>
            {c.code}
          </option>
        ))}
        {currency && !currencies.data && <option value={currency}>{currency}</option>}
      </SelectField>
      <TextField
        label="Phone (optional)"
        name="phone"
        type="tel"
        autoComplete="tel"
        value={phone}
        maxLength={32}
        hint="Not used yet; kept for text-message reminders later."
        onChange={(e) => setPhone(e.target.value)}
        error={error?.field("phone")}
      />
      <ErrorBox message={other ?? (error && !Object.keys(error.fields).length ? error.message : null)} />
      {saved && <Notice kind="success">Saved. Every time is now shown in {zone.replace(/_/g, " ")}.</Notice>}
      <button className="btn btn-primary" type="submit" disabled={busy}>
        {busy ? "Saving…" : "Save"}
      </button>
    </form>
  );
}

const PREFS: { key: "email_booking" | "email_reminder" | "email_chat"; label: string }[] = [
  { key: "email_booking", label: "Bookings: requests, confirmations, cancellations and moves" },
  { key: "email_reminder", label: "Reminders before a consultation" },
  { key: "email_chat", label: "Chat messages that arrive while you are away" },
];

function NotificationPrefs({ profile, onSaved }: { profile: Profile; onSaved: (p: Profile) => void }) {
  const { save, other, error, saved, busy } = useSaveProfile(onSaved);
  return (
    <section className="card" id="notifications" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Email notifications</h2>
      <p className="hint">In-app notifications always arrive; these choose which ones also come by email.</p>
      {PREFS.map(({ key, label }) => (
        <label key={key} className={styles.checkboxRow}>
          <input
            type="checkbox"
            name={key}
            checked={Boolean(profile[key])}
            disabled={busy}
            onChange={(e) => void save({ [key]: e.target.checked })}
          />{" "}
          {label}
        </label>
      ))}
      <ErrorBox message={other ?? error?.message} />
      {saved && <Notice kind="success">Email preferences saved.</Notice>}
    </section>
  );
}

function EmailForm({ current }: { current: string }) {
  const [newEmail, setNewEmail] = useState("");
  const [password, setPassword] = useState("");
  const { submit, error, done, busy } = useEmailChange();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (await submit({ new_email: newEmail.trim(), password })) setPassword("");
  }

  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="email-heading">
      <h2 id="email-heading">Email</h2>
      <p>
        Now: <strong>{current}</strong>
      </p>
      <TextField label="New email" name="new_email" type="email" autoComplete="email" required value={newEmail} onChange={(e) => setNewEmail(e.target.value)} error={error?.field("new_email")} />
      <TextField label="Your password" name="email_password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={error?.field("password")} />
      <ErrorBox message={error && !error.field("new_email") && !error.field("password") ? error.message : null} />
      {done && <Notice kind="success">{done}</Notice>}
      <button className="btn" type="submit" disabled={busy}>
        {busy ? "Sending…" : "Send confirmation link"}
      </button>
    </form>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const { submit, error, done, busy } = usePasswordChange();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (await submit({ current_password: current, new_password: next })) {
      setCurrent("");
      setNext("");
    }
  }

  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <TextField label="Current password" name="current_password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} error={error?.field("current_password")} />
      <TextField label="New password" name="new_password" type="password" autoComplete="new-password" required hint="At least 8 characters. Every other device and API token is signed out." value={next} onChange={(e) => setNext(e.target.value)} error={error?.field("new_password")} />
      <ErrorBox message={error && !Object.keys(error.fields).length ? error.message : null} />
      {done && <Notice kind="success">{done}</Notice>}
      <button className="btn" type="submit" disabled={busy}>
        {busy ? "Changing…" : "Change password"}
      </button>
    </form>
  );
}

function TokensPanel() {
  const [name, setName] = useState("");
  const { tokens, created, error, create, revoke } = useApiTokens();

  async function onCreate(event: FormEvent) {
    event.preventDefault();
    if (await create(name)) setName("");
  }

  return (
    <section className="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p className="hint">
        For scripts and other apps: send <code>Authorization: Token &lt;key&gt;</code>. Revoke a token you no longer use.
      </p>
      {created && (
        <Notice kind="success">
          New token (copy it now, it is shown only once): <code data-testid="new-token">{created}</code>
        </Notice>
      )}
      {tokens === null ? (
        <Loading label="Loading tokens…" />
      ) : tokens.length === 0 ? (
        <p>No tokens yet.</p>
      ) : (
        <ul className={styles.tokenList}>
          {tokens.map((t) => (
            <li key={t.id}>
              <strong>{t.name}</strong> <code>{t.key_prefix}…</code> · created {formatDateTimeIn(t.created_at)} ·{" "}
              {t.last_used_at ? `last used ${formatDateTimeIn(t.last_used_at)}` : "never used"}{" "}
              <button type="button" className="btn btn-small" onClick={() => void revoke(t.id)}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={onCreate} className={styles.tokenForm}>
        <TextField label="Token name" name="token_name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={error?.field("name")} />
        <button className="btn" type="submit">
          Create token
        </button>
      </form>
      <ErrorBox message={error && !error.field("name") ? error.message : null} />
    </section>
  );
}
