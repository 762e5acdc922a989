import { useState } from "react";
import { Link } from "react-router-dom";

import { useCalendarFeed } from "../../features/integrations/useIntegrations";
import { formatDateTime } from "../../lib/time";
import { paths } from "../../routes";
import { ErrorBox, Loading, Notice } from "../ui";
import styles from "./integrations.module.css";

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The secret URL of a person's calendar feed, with copy buttons and how to add it. */
export function CalendarFeedSection({ isExpert = false }: { isExpert?: boolean }) {
  const { feed, regenerate: makeNew, error, busy } = useCalendarFeed();
  const [copied, setCopied] = useState<string | null>(null);

  async function copy(label: string, text: string) {
    setCopied((await copyText(text)) ? `${label} copied.` : "Copy failed: select the address and copy it yourself.");
  }

  async function regenerate() {
    if (await makeNew()) setCopied("New address made. The old one no longer works.");
  }

  return (
    <section className="card stack" id="calendar" aria-labelledby="calendar-feed">
      <h2 id="calendar-feed">Your consultations in your calendar</h2>
      <p className="muted">
        Subscribe to this private address in Google Calendar, Apple Calendar or Outlook and every consultation appears there — new bookings,
        confirmations with the video link, moves and cancellations. Calendar apps refresh it on their own schedule (Google: every few hours).
      </p>
      {feed.loading && !feed.data && <Loading label="Loading your calendar address…" />}
      <ErrorBox message={feed.error} onRetry={() => void feed.reload()} />
      {feed.data && (
        <>
          <label htmlFor="feed-url">
            <strong>Calendar address</strong>
          </label>
          <div className={styles.secretUrl}>
            <input id="feed-url" readOnly value={feed.data.url} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" className="btn" onClick={() => void copy("Address", feed.data!.url)}>
              Copy
            </button>
          </div>
          <p className="hint">
            Keep it secret: anyone with it can see your consultations. Times are sent in UTC; your calendar shows them in your own time zone
            (feed zone: {feed.data.timezone}).
            {feed.data.last_polled_at ? ` Last fetched by a calendar ${formatDateTime(feed.data.last_polled_at)}.` : " No calendar has fetched it yet."}
          </p>
          {copied && <Notice kind="success">{copied}</Notice>}
          <ErrorBox message={error} />
          <div className="row-actions">
            <a className="btn btn-primary" href={feed.data.google_url} target="_blank" rel="noreferrer">
              Add to Google Calendar
            </a>
            <a className="btn" href={feed.data.webcal_url}>
              Open in Apple Calendar / Outlook
            </a>
            <button type="button" className="btn" disabled={busy} onClick={() => void regenerate()}>
              {busy ? "Making a new address…" : "Make a new address"}
            </button>
          </div>
          <details>
            <summary>Step by step</summary>
            <ul className={styles.helpList}>
              <li>
                <strong>Google Calendar</strong> (web): Other calendars → <em>+</em> → <em>From URL</em>, paste the address, <em>Add calendar</em>.
              </li>
              <li>
                <strong>Apple Calendar</strong> (Mac): File → <em>New Calendar Subscription…</em>, paste the address. iPhone: Settings → Calendar →
                Accounts → Add Account → Other → <em>Add Subscribed Calendar</em>.
              </li>
              <li>
                <strong>Outlook</strong> (web): Calendar → <em>Add calendar</em> → <em>Subscribe from web</em>, paste the address, <em>Import</em>.
              </li>
              <li>If the address leaks, press “Make a new address”: the old one stops working at once.</li>
            </ul>
          </details>
        </>
      )}
      {isExpert && (
        <p>
          <Link to={paths.integrations}>Block busy times from your own calendars, and send bookings to other apps (webhooks) →</Link>
        </p>
      )}
    </section>
  );
}
