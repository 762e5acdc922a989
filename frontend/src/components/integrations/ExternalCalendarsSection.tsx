import { useEffect, useState, type FormEvent } from "react";

import "../../integrations.css";
import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { formatDateTime } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { ErrorBox, Loading, Notice, TextField } from "../ui";

type Feed = Schemas["ExternalCalendar"];

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
  const feeds = useAsync(() => unwrap(api.GET("/api/v1/integrations/calendars/")), []);
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<ApiError | string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { reload } = feeds;

  useEffect(() => {
    if (version) void reload();
  }, [version, reload]);

  async function add(event: FormEvent) {
    event.preventDefault();
    if (!url.trim()) {
      setError("Paste the calendar's secret iCal address.");
      return;
    }
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const created = await unwrap(api.POST("/api/v1/integrations/calendars/", { body: { url: url.trim(), name } }));
      feeds.setData((prev) => [...(prev ?? []), created]);
      setUrl("");
      setName("");
      setNotice("Calendar added. Its busy times block your booking slots from now on.");
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function act(f: Feed, action: "sync" | "pause" | "resume" | "remove") {
    setError(null);
    setNotice(null);
    try {
      if (action === "remove") {
        if (!window.confirm(`Remove “${f.name || f.url_display}”? Its busy times stop blocking your slots.`)) return;
        await unwrap(api.DELETE("/api/v1/integrations/calendars/{id}/", { params: { path: { id: f.id } } }));
        feeds.setData((prev) => (prev ?? []).filter((x) => x.id !== f.id));
        return;
      }
      const updated =
        action === "sync"
          ? await unwrap(api.POST("/api/v1/integrations/calendars/{id}/sync/", { params: { path: { id: f.id } } }))
          : await unwrap(api.PATCH("/api/v1/integrations/calendars/{id}/", { params: { path: { id: f.id } }, body: { enabled: action === "resume" } }));
      feeds.setData((prev) => (prev ?? []).map((x) => (x.id === f.id ? updated : x)));
    } catch (err) {
      setError(errorMessage(err));
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
                <span className={f.status === "error" && f.enabled ? "status-error" : f.status === "ok" ? "status-ok" : "muted"}>{statusText(f)}</span>
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
          <ul className="help-list">
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
