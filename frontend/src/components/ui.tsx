import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorBox({ message, onRetry }: { message: string | null | undefined; onRetry?: () => void }) {
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert">
      <span>{message}</span>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Notice({ children, kind = "info" }: { children: ReactNode; kind?: "info" | "success" | "warning" }) {
  return (
    <div className={`alert alert-${kind}`} role="status">
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function VerifiedBadge() {
  return (
    <span className="badge badge-verified" title="Identity and credentials verified by Consult">
      <span aria-hidden="true">✓</span> Verified
    </span>
  );
}

/** Status words per domain: a "pending" booking waits for the expert, a "pending" application is under review. */
export type StatusDomain = "booking" | "application" | "document" | "conversation";

const STATUS_LABELS: Record<StatusDomain, Record<string, string>> = {
  booking: {
    pending: "Waiting for confirmation",
    confirmed: "Confirmed",
    cancelled: "Cancelled",
    completed: "Completed",
    no_show: "Missed",
  },
  application: {
    pending: "Under review",
    under_review: "Under review",
    changes_requested: "Changes requested",
    approved: "Approved",
    rejected: "Not approved",
    suspended: "Suspended",
  },
  document: {
    pending: "Not checked yet",
    accepted: "Accepted",
    rejected: "Not accepted",
  },
  conversation: {
    active: "Active",
    archived: "Archived",
    blocked: "Blocked",
    closed: "Closed",
  },
};

export function statusLabel(status: string, domain: StatusDomain = "booking"): string {
  return STATUS_LABELS[domain][status] ?? status.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

export function StatusBadge({ status, domain = "booking" }: { status: string | null | undefined; domain?: StatusDomain }) {
  if (!status) return null;
  return <span className={`badge status-${status}`}>{statusLabel(status, domain)}</span>;
}

/** "1 document", "3 documents". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function Stars({ value, count }: { value: number | string | null | undefined; count?: number | null }) {
  const n = Number(value ?? 0);
  if (!count) return <span className="muted">No reviews yet</span>;
  return (
    <span className="stars" aria-label={`Rated ${n.toFixed(1)} out of 5 from ${plural(count, "review")}`}>
      <span aria-hidden="true">★</span> {n.toFixed(1)} <span className="muted">({count})</span>
    </span>
  );
}

interface FieldProps {
  label: string;
  error?: string;
  hint?: string;
  children: (props: { id: string; "aria-invalid"?: boolean; "aria-describedby"?: string }) => ReactNode;
}

/** Label + control + hint + error, wired for screen readers. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-err`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

export function TextField(props: { label: string; error?: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const { label, error, hint, ...rest } = props;
  return (
    <Field label={label} error={error} hint={hint}>
      {(a11y) => <input {...rest} {...a11y} />}
    </Field>
  );
}

export function TextArea(props: { label: string; error?: string; hint?: string } & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const { label, error, hint, ...rest } = props;
  return (
    <Field label={label} error={error} hint={hint}>
      {(a11y) => <textarea {...rest} {...a11y} />}
    </Field>
  );
}

export function SelectField(
  props: { label: string; error?: string; hint?: string; children: ReactNode } & SelectHTMLAttributes<HTMLSelectElement>,
) {
  const { label, error, hint, children, ...rest } = props;
  return (
    <Field label={label} error={error} hint={hint}>
      {(a11y) => (
        <select {...rest} {...a11y}>
          {children}
        </select>
      )}
    </Field>
  );
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className="progress">
      <progress max={100} value={pct} aria-label={label} />
      <span className="muted">{pct}%</span>
    </div>
  );
}
