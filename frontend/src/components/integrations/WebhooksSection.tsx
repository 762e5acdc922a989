import { useState, type FormEvent } from "react";

import { ApiError } from "../../api/http";
import { useDeliveries, useWebhooks } from "../../features/integrations/useIntegrations";
import { formatDateTime } from "../../lib/time";
import { ErrorBox, Loading, Notice, TextField } from "../ui";
import styles from "./integrations.module.css";

export const WEBHOOK_EVENTS = [
  ["booking.created", "New booking"],
  ["booking.confirmed", "Booking confirmed"],
  ["booking.cancelled", "Booking cancelled"],
  ["booking.rescheduled", "Booking moved"],
  ["meeting.started", "Call started"],
  ["meeting.ended", "Call ended"],
  ["review.created", "New review"],
] as const;
type EventName = (typeof WEBHOOK_EVENTS)[number][0];

const STATUS_TEXT: Record<string, string> = { pending: "Sending…", retrying: "Retrying", succeeded: "Delivered", failed: "Failed (gave up after 24 h)" };

/** The expert's (or staff member's) webhook endpoints, their deliveries and replays. */
export function WebhooksSection({ version = 0 }: { version?: number }) {
  const { endpoints, add: addEndpoint, act, error, secret, busy } = useWebhooks(version);
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<EventName[]>(WEBHOOK_EVENTS.map(([e]) => e));
  const [open, setOpen] = useState<number | null>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    if (await addEndpoint(url, events, description)) {
      setUrl("");
      setDescription("");
    }
  }

  const apiErr = error instanceof ApiError ? error : null;
  return (
    <section className="card stack" aria-labelledby="webhooks">
      <h2 id="webhooks">Webhooks</h2>
      <p className="muted">
        Send bookings, calls and reviews to your own systems as signed JSON. Failed deliveries are retried for 24 hours; you can send any of them
        again below.
      </p>
      {endpoints.loading && !endpoints.data && <Loading label="Loading webhooks…" />}
      <ErrorBox message={endpoints.error} onRetry={() => void endpoints.reload()} />
      {secret && (
        <Notice kind="warning">
          Signing secret (shown only now — store it to verify the <code>Consult-Webhook-Signature</code> header): <code>{secret.secret}</code>
        </Notice>
      )}
      {endpoints.data && endpoints.data.length === 0 && <p className="muted">No webhooks yet.</p>}
      {endpoints.data && endpoints.data.length > 0 && (
        <ul className="doc-list" aria-label="Your webhooks">
          {endpoints.data.map((e) => (
            <li key={e.id} className="stack">
              <span>
                <strong>{e.description || e.url}</strong> {!e.active && <span className="muted">(paused)</span>}
                <br />
                <span className="hint">
                  {e.url} · {e.events.length === WEBHOOK_EVENTS.length ? "all events" : e.events.join(", ")} · secret {e.secret_hint}
                  {e.scope === "all" ? " · every consultation (staff)" : ""}
                </span>
              </span>
              <span className="row-actions">
                <button type="button" className="btn btn-small" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                  {open === e.id ? "Hide deliveries" : "Deliveries"}
                </button>
                <button type="button" className="btn btn-small" onClick={() => void act(e, e.active ? "pause" : "resume")}>
                  {e.active ? "Pause" : "Resume"}
                </button>
                <button type="button" className="btn btn-small" onClick={() => void act(e, "rotate")}>
                  New secret
                </button>
                <button type="button" className="btn btn-small" onClick={() => void act(e, "delete")}>
                  Delete
                </button>
              </span>
              {open === e.id && <DeliveryLog endpointId={e.id} version={version} />}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} aria-label="Add a webhook">
        <div className="row">
          <TextField label="Endpoint URL" value={url} onChange={(ev) => setUrl(ev.target.value)} placeholder="https://example.com/consult-webhook" error={apiErr?.field("url")} />
          <TextField label="Description (optional)" value={description} maxLength={200} onChange={(ev) => setDescription(ev.target.value)} />
        </div>
        <fieldset className="checkbox-field">
          <legend>Events</legend>
          {WEBHOOK_EVENTS.map(([name, label]) => (
            <label key={name}>
              <input
                type="checkbox"
                checked={events.includes(name)}
                onChange={(ev) => setEvents((prev) => (ev.target.checked ? [...prev, name] : prev.filter((x) => x !== name)))}
              />
              {label} <code className="hint">{name}</code>
            </label>
          ))}
        </fieldset>
        {typeof error === "string" && <ErrorBox message={error} />}
        {apiErr && !apiErr.field("url") && <ErrorBox message={apiErr.message} />}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Adding…" : "Add webhook"}
        </button>
      </form>
    </section>
  );
}

function DeliveryLog({ endpointId, version }: { endpointId: number; version: number }) {
  const { deliveries, replay, notice } = useDeliveries(endpointId, version);

  if (deliveries.loading && !deliveries.data) return <Loading label="Loading deliveries…" />;
  if (deliveries.error) return <ErrorBox message={deliveries.error} onRetry={() => void deliveries.reload()} />;
  if (!deliveries.data?.length) return <p className="muted">Nothing sent yet.</p>;
  return (
    <div className={styles.tableScroll}>
      {notice && <Notice kind="info">{notice}</Notice>}
      <table className={styles.deliveryTable} aria-label="Deliveries">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Result</th>
            <th scope="col">Answer</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {deliveries.data.map((d) => (
            <tr key={d.id}>
              <td>{formatDateTime(d.created_at)}</td>
              <td>
                {d.event_type}
                {d.replay_of && <span className="hint"> (replay)</span>}
              </td>
              <td className={d.status === "succeeded" ? styles.statusOk : d.status === "failed" || d.status === "retrying" ? styles.statusError : ""}>
                {STATUS_TEXT[d.status] ?? d.status} · {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
                {d.last_latency_ms != null && ` · ${d.last_latency_ms} ms`}
                {d.status === "retrying" && d.next_attempt_at && <span className="hint"> · next {formatDateTime(d.next_attempt_at)}</span>}
              </td>
              <td>
                {d.last_status_code != null ? `HTTP ${d.last_status_code}` : d.last_error}
                {d.last_response_excerpt && <pre className="hint">{d.last_response_excerpt.slice(0, 200)}</pre>}
              </td>
              <td>
                <button type="button" className="btn btn-small" onClick={() => void replay(d)}>
                  Send again
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
