import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { viewerTimeZone } from "../../lib/time";
import { cancellationInWords } from "../../lib/money";
import { ErrorBox, TextArea } from "../ui";
import { ReviewForm } from "../reviews/ReviewForm";
import { paths } from "../../routes";

export type Consultation = Schemas["Consultation"];

/** How long before the start the call page lets people in (the server decides for real). */
const JOIN_EARLY_MS = 10 * 60 * 1000;

export function canJoinSoon(c: Consultation, now = Date.now()): boolean {
  if (c.status !== "confirmed") return false;
  const start = new Date(c.start_at).getTime();
  const end = new Date(c.end_at).getTime();
  return now >= start - JOIN_EARLY_MS && now <= end + 30 * 60 * 1000;
}

export function ConsultationActions({
  consultation: c,
  onChanged,
  compact = false,
}: {
  consultation: Consultation;
  onChanged: (c: Consultation) => void;
  compact?: boolean;
}) {
  const [mode, setMode] = useState<"none" | "cancel" | "rate">("none");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const isExpert = c.my_role === "expert";
  // The detail page shows the review form itself; lists offer a button.
  const canRate = c.can_review && compact;

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      onChanged(await unwrap(api.POST("/api/v1/consultations/consultations/{id}/confirm/", { params: { path: { id: c.id } } })));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="consultation-actions">
      <div className="actions">
        {compact && (
          <Link className="btn btn-small" to={paths.consultation(c.id)}>
            Details
          </Link>
        )}
        {isExpert && c.status === "pending" && (
          <button type="button" className="btn btn-small btn-primary" onClick={confirm} disabled={busy} data-testid="confirm-booking">
            Confirm
          </button>
        )}
        {canJoinSoon(c) && (
          <Link className="btn btn-small btn-primary" to={paths.video(c.id)}>
            Join video call
          </Link>
        )}
        {c.can_reschedule && (
          <Link className="btn btn-small" to={paths.reschedule(c.id)}>
            Reschedule
          </Link>
        )}
        {c.can_cancel && mode !== "cancel" && (
          <button type="button" className="btn btn-small btn-danger" onClick={() => setMode("cancel")}>
            Cancel
          </button>
        )}
        {canRate && mode !== "rate" && (
          <button type="button" className="btn btn-small" onClick={() => setMode("rate")}>
            Write a review
          </button>
        )}
      </div>
      <ErrorBox message={error} />
      {mode === "cancel" && <CancelForm consultation={c} onDone={(u) => { setMode("none"); onChanged(u); }} onClose={() => setMode("none")} />}
      {mode === "rate" && (
        <ReviewForm
          consultationId={c.id}
          expertName={c.expert.name}
          onDone={(review) => {
            setMode("none");
            onChanged({ ...c, review, can_review: false });
          }}
          onClose={() => setMode("none")}
        />
      )}
    </div>
  );
}

export function CancelForm({
  consultation: c,
  onDone,
  onClose,
}: {
  consultation: Consultation;
  onDone: (c: Consultation) => void;
  onClose: () => void;
}) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const isExpert = c.my_role === "expert";

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (isExpert && !reason.trim()) {
      setError("Please give your client a reason.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await unwrap(
        api.POST("/api/v1/consultations/consultations/{id}/cancel/", {
          params: { path: { id: c.id } },
          body: {
            reason: reason.trim(),
            timezone: viewerTimeZone(),
            // The refund shown below: the server refuses (409) if it has dropped since.
            ...(quote ? { accept_refund_percent: quote.percent } : {}),
          },
        }),
      );
      onDone(result.consultation);
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const quote = c.refund_if_cancelled_now;
  const refundNote = quote === null ? null : cancellationInWords(c, quote, isExpert ? "expert" : "client", isExpert ? c.user.name : c.expert.name);

  const apiErr = error instanceof ApiError ? error : null;
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Cancel consultation">
      {refundNote && <p className="alert alert-info">{refundNote}</p>}
      <TextArea
        label={isExpert ? "Reason (sent to your client)" : "Reason (optional)"}
        name="reason"
        value={reason}
        required={isExpert}
        onChange={(e) => setReason(e.target.value)}
        error={apiErr?.field("reason") ?? (typeof error === "string" ? error : undefined)}
      />
      {apiErr && !apiErr.field("reason") && <ErrorBox message={apiErr.message} />}
      <div className="actions">
        <button type="submit" className="btn btn-danger" disabled={busy}>
          {busy ? "Cancelling…" : "Cancel consultation"}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Keep it
        </button>
      </div>
    </form>
  );
}

