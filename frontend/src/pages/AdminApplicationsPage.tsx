import { useState } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { errorMessage } from "../api/http";
import { Empty, ErrorBox, Loading, Notice, SelectField, StatusBadge, TextArea } from "../components/ui";
import { formatBytes } from "../lib/chat";
import { formatDateTime, formatMoney } from "../lib/time";
import { useAsync } from "../lib/useAsync";

type Application = Schemas["AdminApplication"];
type Status = Parameters<typeof listApplications>[0];
type Decision = Schemas["ReviewRequest"]["decision"];

function listApplications(status: "pending" | "under_review" | "changes_requested" | "approved" | "rejected" | "") {
  return unwrap(
    api.GET("/api/v1/consultations/admin/applications/", {
      params: { query: status ? { status: [status] } : {} },
    }),
  );
}

/** What a decision did, in words, for the banner after it (the card may leave the list). */
export function reviewOutcome(decision: Decision, name: string): string {
  switch (decision) {
    case "approve":
      return `Approved ${name}. They are now an expert and were notified by email and in the app; they are listed in the marketplace once they set weekly hours.`;
    case "reject":
      return `Rejected ${name}'s application. They were notified with your note and may apply again.`;
    case "request_changes":
      return `Asked ${name} for changes. They were notified with your note; the application comes back here when they resubmit.`;
    default:
      return `Saved your decision on ${name}'s application.`;
  }
}

/** Staff review of expert applications (the same service as the Django admin's bulk actions). */
export function AdminApplicationsPage() {
  const [status, setStatus] = useState<Status>("pending");
  const list = useAsync(() => listApplications(status), [status]);
  const [outcome, setOutcome] = useState<string | null>(null);

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
            <button type="button" className="btn btn-small" onClick={() => setOutcome(null)} aria-label="Dismiss">
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
                onReviewed={(decision) => {
                  setOutcome(reviewOutcome(decision, a.applicant.name || a.applicant.email));
                  window.scrollTo({ top: 0 });
                  void list.reload();
                }}
              />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ApplicationCard({ application: a, onReviewed }: { application: Application; onReviewed: (decision: Decision) => void }) {
  const [notes, setNotes] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const open = ["pending", "under_review", "changes_requested"].includes(a.status);

  async function review(decision: Decision) {
    if (decision !== "approve" && !notes.trim()) {
      setError("Tell the applicant why, in the notes.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.POST("/api/v1/consultations/admin/applications/{id}/review/", {
          params: { path: { id: a.id } },
          body: { decision, notes: notes.trim() },
        }),
      );
      onReviewed(decision);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
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
