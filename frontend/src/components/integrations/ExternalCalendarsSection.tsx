import { useState, type FormEvent } from "react";

import { ApiError } from "../../api/http";
import { useExternalCalendars, type Feed } from "../../features/integrations/useIntegrations";
import { formatDateTime } from "../../lib/time";
import { ErrorBox, Loading, Notice, TextField } from "../ui";
import styles from "./integrations.module.css";

function statusText(f: Feed): string {
  if (!f.enabled) return "Paused";
  if (f.status === "pending") return "Waiting for the first fetch…";
  if (f.status === "error") return `Problem: ${f.last_error}`;
  return `OK · ${f.busy_count} busy time${f.busy_count === 1 ? "" : "s"} ahead`;
}

/**
 * The expert's own calendars (ICS addresses) whose busy times block booking slots. `version`
 * changes when a live `calendar_source.synced` event arrives, so statuses refresh by themselves.
 */
export function ExternalCalendarsSection({ version = 0 }: { version?: number }) {
  const { feeds, add: addCalendar, act, error, notice, busy } = useExternalCalendars(version);
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");

  async function add(event: FormEvent) {
    event.preventDefault();
    if (await addCalendar(url, name)) {
      setUrl("");
      setName("");
    }
  }

  const apiErr = error instanceof ApiError ? error : null;
  return (
    <section className="card stack" aria-labelledby="external-calendars">
      <h2 id="external-calendars">Busy times from your calendars</h2>
      <p className="muted">
        Add the secret iCal address of your Google, Outlook or iCloud calendar. Consult reads it every 15 minutes and hides booking slots
        that clash with your events (only the times are kept — never titles or details).
      </p>
      {feeds.loading && !feeds.data && <Loading label="Loading your calendars…" />}
      <ErrorBox message={feeds.error} onRetry={() => void feeds.reload()} />
      {feeds.data && feeds.data.length === 0 && <p className="muted">No calendars added yet.</p>}
      {feeds.data && feeds.data.length > 0 && (
        <ul className="doc-list" aria-label="Your calendars">
          {feeds.data.map((f) => (
            <li key={f.id}>
              <span>
                <strong>{f.name || f.url_display}</strong>
                <br />
                <span
                  className={f.status === "error" && f.enabled ? styles.statusError : f.status === "ok" ? styles.statusOk : "muted"}
                  data-testid="calendar-status"
                  data-state={f.status === "error" && f.enabled ? "error" : f.status === "ok" ? "ok" : "other"}
                >{statusText(f)}</span>
                <br />
                <span className="hint">
                  {f.last_fetch_at ? `Last fetched ${formatDateTime(f.last_fetch_at)}` : "Never fetched"}
                  {f.last_success_at && f.status === "error" ? ` · last good fetch ${formatDateTime(f.last_success_at)}` : ""}
                </span>
              </span>
              <span className="row-actions">
                <button type="button" className="btn btn-small" onClick={() => void act(f, "sync")} disabled={!f.enabled}>
                  Fetch now
                </button>
                <button type="button" className="btn btn-small" onClick={() => void act(f, f.enabled ? "pause" : "resume")}>
                  {f.enabled ? "Pause" : "Resume"}
                </button>
                <button type="button" className="btn btn-small" onClick={() => void act(f, "remove")}>
                  Remove
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} aria-label="Add a calendar">
        <div className="row">
          <TextField label="iCal address" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://calendar.google.com/calendar/ical/…/basic.ics" error={apiErr?.field("url")} />
          <TextField label="Name (optional)" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} placeholder="Work" />
        </div>
        {typeof error === "string" && <ErrorBox message={error} />}
        {apiErr && !apiErr.field("url") && <ErrorBox message={apiErr.message} />}
        {notice && <Notice kind="success">{notice}</Notice>}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Adding…" : "Add calendar"}
        </button>
        <details>
          <summary>Where do I find the address?</summary>
          <ul className={styles.helpList}>
            <li>
              <strong>Google</strong>: Settings → your calendar → <em>Integrate calendar</em> → <em>Secret address in iCal format</em>.
            </li>
            <li>
              <strong>Outlook</strong>: Settings → Calendar → <em>Shared calendars</em> → <em>Publish a calendar</em> → the ICS link.
            </li>
            <li>
              <strong>iCloud</strong>: Calendar → share icon next to the calendar → <em>Public Calendar</em> → copy the link.
            </li>
          </ul>
        </details>
      </form>
    </section>
  );
}
