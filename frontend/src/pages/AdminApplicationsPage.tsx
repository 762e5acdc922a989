import { useState } from "react";

import { Empty, ErrorBox, Loading, Notice, SelectField, StatusBadge, TextArea } from "../components/ui";
import { formatBytes } from "../lib/chat";
import { formatDateTime, formatMoney } from "../lib/time";
import { useApplications, type Application, type ApplicationStatus as Status, type Decision } from "../features/applications/useApplications";

/** Staff review of expert applications (the same service as the Django admin's bulk actions). */
export function AdminApplicationsPage() {
  const [status, setStatus] = useState<Status>("pending");
  const list = useApplications(status);
  const { outcome } = list;

  return (
    <div className="page">
      <div className="section-head">
        <h1>Expert applications</h1>
        <SelectField label="Show" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
          <option value="pending">Pending</option>
          <option value="under_review">Under review</option>
          <option value="changes_requested">Changes requested</option>
          <option value="approved">Approved</option>
          <option value="rejected">Rejected</option>
          <option value="">All</option>
        </SelectField>
      </div>
      {outcome && (
        <div data-testid="review-outcome">
          <Notice kind="success">
            <span>{outcome}</span>{" "}
            <button type="button" className="btn btn-small" onClick={list.dismissOutcome} aria-label="Dismiss">
              ✕
            </button>
          </Notice>
        </div>
      )}
      <ErrorBox message={list.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data && <Loading label="Loading applications…" />}
      {list.data && list.data.results.length === 0 && <Empty>No applications here.</Empty>}
      {list.data && list.data.results.length > 0 && (
        <ul className="list">
          {list.data.results.map((a) => (
            <li key={a.id}>
              <ApplicationCard
                application={a}
                review={(decision, notes) => list.review(a, decision, notes)}
                onReviewed={() => window.scrollTo({ top: 0 })}
              />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ApplicationCard({
  application: a,
  review: send,
  onReviewed,
}: {
  application: Application;
  review: (decision: Decision, notes: string) => Promise<string | null>;
  onReviewed: () => void;
}) {
  const [notes, setNotes] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const open = ["pending", "under_review", "changes_requested"].includes(a.status);

  async function review(decision: Decision) {
    setBusy(true);
    setError(null);
    const failed = await send(decision, notes);
    setBusy(false);
    if (failed) setError(failed);
    else onReviewed();
  }

  return (
    <article className="card" aria-labelledby={`app-${a.id}`}>
      <div className="section-head">
        <h2 id={`app-${a.id}`}>
          {a.applicant.name} <span className="muted">({a.applicant.email})</span>
        </h2>
        <StatusBadge domain="application" status={a.status} />
      </div>
      {a.headline && <p className="headline">{a.headline}</p>}
      <dl className="kv">
        <dt>Submitted</dt>
        <dd>{formatDateTime(a.submitted_at)}</dd>
        <dt>Expertise</dt>
        <dd className="bio">{a.expertise}</dd>
        <dt>Experience</dt>
        <dd className="bio">{a.experience}</dd>
        <dt>Motivation</dt>
        <dd className="bio">{a.motivation}</dd>
        <dt>Tags</dt>
        <dd>{a.expertise_areas.join(", ") || "—"}</dd>
        <dt>Languages</dt>
        <dd>{a.languages.join(", ") || "—"}</dd>
        <dt>Rate</dt>
        <dd>
          {formatMoney(a.hourly_rate, a.currency)} / hour · {a.timezone}
        </dd>
        <dt>Documents</dt>
        <dd>
          {a.documents.length === 0
            ? "None"
            : a.documents.map((d) => (
                <div key={d.id}>
                  <a href={d.download_url} target="_blank" rel="noreferrer">
                    {d.original_name}
                  </a>{" "}
                  <span className="muted">
                    {d.document_type} · {formatBytes(d.size)}
                  </span>
                </div>
              ))}
        </dd>
        {a.review_notes && (
          <>
            <dt>Review notes</dt>
            <dd>{a.review_notes}</dd>
          </>
        )}
      </dl>
      {open && (
        <div className="inline-form">
          <TextArea label="Notes to the applicant" value={notes} onChange={(e) => setNotes(e.target.value)} hint="Required when rejecting or asking for changes." />
          <ErrorBox message={error} />
          <div className="actions">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void review("approve")}>
              Approve
            </button>
            <button type="button" className="btn" disabled={busy} onClick={() => void review("request_changes")}>
              Ask for changes
            </button>
            <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void review("reject")}>
              Reject
            </button>
          </div>
        </div>
      )}
    </article>
  );
}
