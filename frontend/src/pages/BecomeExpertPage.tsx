import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { ApiError, errorMessage, uploadForm } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { useStoredState } from "../lib/stored";
import { ErrorBox, Field, Loading, Notice, plural, ProgressBar, SelectField, StatusBadge, TextArea, TextField } from "../components/ui";
import { TimeZoneSelect } from "../components/TimeZoneSelect";
import { formatBytes } from "../lib/chat";
import { formatDateTime, viewerTimeZone } from "../lib/time";
import { useExpertApplication } from "../features/applications/useExpertApplication";
import { paths } from "../routes";

type Application = Schemas["ExpertApplication"];
type DocumentType = Schemas["DocumentUploadRequest"]["document_type"];

const STATUS_TEXT: Record<string, string> = {
  not_applied: "You have not applied yet.",
  pending: "Your application is waiting for review.",
  under_review: "Our team is reviewing your application.",
  changes_requested: "The reviewer asked for changes. Update your application and submit it again.",
  approved: "You are a verified expert.",
  rejected: "Your application was not approved. You can apply again.",
  suspended: "Your expert profile is suspended. Contact support.",
};

const DOC_TYPES: Array<{ value: DocumentType; label: string }> = [
  { value: "certificate", label: "Certificate" },
  { value: "license", label: "License" },
  { value: "education", label: "Education" },
  { value: "id", label: "Identity document" },
  { value: "other", label: "Other" },
];

const ALLOWED_TYPES = ["application/pdf", "image/png", "image/jpeg"];
const MAX_DOC_BYTES = 10 * 1024 * 1024;

export function BecomeExpertPage() {
  const { status: s, application: app, loading, error, live, reloadStatus, retry } = useExpertApplication();
  if (loading) return <Loading />;
  if (error || !s) return <ErrorBox message={error ?? "Could not load your status."} onRetry={retry} />;
  const canResubmit = app?.status === "changes_requested";

  return (
    <div className="page stack">
      <h1>{s.is_verified ? "Your expert status" : "Become an expert"}</h1>
      {live && <Notice kind="info">{live}</Notice>}
      <section className="card" aria-labelledby="status-h" data-testid="verification-status" data-status={s.status}>
        <h2 id="status-h">
          Verification status <StatusBadge domain="application" status={s.status === "not_applied" ? null : s.status} />
        </h2>
        <p>{STATUS_TEXT[s.status] ?? s.status}</p>
        {s.application?.review_notes && (
          <p className="alert alert-info">
            <span>
              <strong>Reviewer&apos;s note:</strong> {s.application.review_notes}
            </span>
          </p>
        )}
        {s.application && (
          <p className="muted">
            Submitted {formatDateTime(s.application.submitted_at)}
            {s.application.reviewed_at && <> · reviewed {formatDateTime(s.application.reviewed_at)}</>} · {plural(s.application.documents_count, "document")}
          </p>
        )}
        {s.is_verified && (
          <Link className="btn btn-primary" to={paths.dashboard}>
            Go to your dashboard
          </Link>
        )}
      </section>

      {(s.can_apply || canResubmit) && (
        <ApplyForm
          previous={app}
          onSubmitted={reloadStatus}
        />
      )}

      {app && (s.can_upload_documents || app.documents.length > 0) && (
        <DocumentsSection
          application={app}
          canUpload={s.can_upload_documents}
          onUploaded={reloadStatus}
        />
      )}
    </div>
  );
}

function ApplyForm({ previous, onSubmitted }: { previous: Application | null; onSubmitted: (a: Application) => void }) {
  const { user } = useAuth();
  // The form is kept in localStorage while it is filled in, so a reload does not lose it.
  const [values, setValues, clearDraft] = useStoredState(`application-draft:${user?.id ?? 0}:${previous?.id ?? "new"}`, {
    headline: previous?.headline ?? "",
    motivation: previous?.motivation ?? "",
    expertise: previous?.expertise ?? "",
    experience: previous?.experience ?? "",
    expertise_areas: (previous?.expertise_areas ?? []).join(", "),
    languages: (previous?.languages ?? []).join(", "),
    hourly_rate: previous?.hourly_rate ?? "50.00",
    currency: previous?.currency ?? "USD",
    timezone: previous?.timezone ?? viewerTimeZone(),
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const set = (k: keyof typeof values) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [k]: e.target.value }));
  const list = (text: string) =>
    text
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const missing = (["motivation", "expertise", "experience"] as const).filter((k) => !values[k].trim());
    if (missing.length) {
      setError(new ApiError(400, { error: { code: "required", message: "Please fill in the required fields.", fields: Object.fromEntries(missing.map((k) => [k, ["This field is required."]])) } }));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await unwrap(
        api.POST("/api/v1/consultations/experts/apply/", {
          body: {
            headline: values.headline.trim(),
            motivation: values.motivation.trim(),
            expertise: values.expertise.trim(),
            experience: values.experience.trim(),
            expertise_areas: list(values.expertise_areas),
            languages: list(values.languages),
            hourly_rate: values.hourly_rate || "0",
            currency: values.currency.trim().toUpperCase() || "USD",
            timezone: values.timezone.trim() || "UTC",
          },
        }),
      );
      clearDraft();
      onSubmitted(result);
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const apiErr = error instanceof ApiError ? error : null;
  const f = (k: string) => apiErr?.field(k);
  const known = ["headline", "motivation", "expertise", "experience", "expertise_areas", "languages", "hourly_rate", "currency", "timezone"];
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="apply-h">
      <h2 id="apply-h">{previous?.status === "changes_requested" ? "Update your application" : "Apply as an expert"}</h2>
      <TextField label="Headline" value={values.headline} onChange={set("headline")} maxLength={200} placeholder="e.g. Tax adviser for freelancers" error={f("headline")} />
      <TextArea label="Why do you want to advise on Consult?" required value={values.motivation} onChange={set("motivation")} error={f("motivation")} />
      <TextArea label="Your fields of expertise" required value={values.expertise} onChange={set("expertise")} error={f("expertise")} />
      <TextArea label="Experience" required value={values.experience} onChange={set("experience")} hint="Roles, years, notable work." error={f("experience")} />
      <div className="row">
        <TextField label="Expertise tags" value={values.expertise_areas} onChange={set("expertise_areas")} hint="Comma-separated" error={f("expertise_areas")} />
        <TextField label="Languages" value={values.languages} onChange={set("languages")} hint="Comma-separated codes, e.g. en, fr" error={f("languages")} />
      </div>
      <div className="row">
        <TextField label="Hourly rate" type="number" min={0} step="0.01" value={values.hourly_rate} onChange={set("hourly_rate")} error={f("hourly_rate")} />
        <TextField label="Currency" value={values.currency} onChange={set("currency")} maxLength={3} error={f("currency")} />
      </div>
      <TimeZoneSelect label="Your time zone" value={values.timezone} onChange={(zone) => setValues((v) => ({ ...v, timezone: zone }))} error={f("timezone")} />
      {typeof error === "string" && <ErrorBox message={error} />}
      {apiErr && !known.some((k) => apiErr.field(k)) && <ErrorBox message={apiErr.message} />}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? "Submitting…" : "Submit application"}
      </button>
    </form>
  );
}

function DocumentsSection({ application, canUpload, onUploaded }: { application: Application; canUpload: boolean; onUploaded: () => void }) {
  const [type, setType] = useState<DocumentType>("certificate");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  async function upload(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    if (!file) {
      setError("Choose a file to upload.");
      return;
    }
    if (file.type && !ALLOWED_TYPES.includes(file.type)) {
      setError("Upload a PDF, PNG or JPEG file.");
      return;
    }
    if (file.size > MAX_DOC_BYTES) {
      setError("That file is larger than 10 MB.");
      return;
    }
    setError(null);
    setProgress(0);
    const form = new FormData();
    form.append("file", file);
    form.append("document_type", type);
    try {
      const doc = await uploadForm<Schemas["Document"]>("/api/v1/consultations/experts/upload-document/", form, { onProgress: setProgress });
      setDone(`Uploaded ${doc.original_name}.`);
      setFile(null);
      if (input.current) input.current.value = "";
      onUploaded();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setProgress(null);
    }
  }

  return (
    <section className="card" aria-labelledby="docs-h">
      <h2 id="docs-h">Supporting documents</h2>
      {application.documents.length === 0 ? (
        <p className="muted">No documents yet. Certificates, licences or diplomas help the review.</p>
      ) : (
        <ul className="doc-list">
          {application.documents.map((d) => (
            <li key={d.id}>
              <span>
                <a href={d.download_url} target="_blank" rel="noreferrer">
                  {d.original_name}
                </a>{" "}
                <span className="muted">
                  · {DOC_TYPES.find((t) => t.value === d.document_type)?.label ?? d.document_type} · {formatBytes(d.size)}
                </span>
              </span>
              <StatusBadge domain="document" status={d.status} />
            </li>
          ))}
        </ul>
      )}
      {canUpload && (
        <form onSubmit={upload}>
          <div className="row">
            <SelectField label="Document type" value={type} onChange={(e) => setType(e.target.value as DocumentType)}>
              {DOC_TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </SelectField>
            <Field label="File (PDF, PNG or JPEG, up to 10 MB)">
              {(a11y) => (
                <input
                  {...a11y}
                  ref={input}
                  type="file"
                  name="file"
                  accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
                  onChange={(e) => setFile(e.target.files?.[0] ?? null)}
                />
              )}
            </Field>
          </div>
          {progress !== null && <ProgressBar value={progress} label="Upload progress" />}
          <ErrorBox message={error} />
          {done && <Notice kind="success">{done}</Notice>}
          <button type="submit" className="btn" disabled={progress !== null}>
            {progress !== null ? "Uploading…" : "Upload document"}
          </button>
        </form>
      )}
    </section>
  );
}
