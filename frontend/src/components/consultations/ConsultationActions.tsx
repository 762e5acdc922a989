import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { formatMoney, viewerTimeZone } from "../../lib/time";
import { ErrorBox, TextArea } from "../ui";
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
  const canRate = c.my_role === "user" && c.status === "completed" && c.rating === null;

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
            Rate
          </button>
        )}
      </div>
      <ErrorBox message={error} />
      {mode === "cancel" && <CancelForm consultation={c} onDone={(u) => { setMode("none"); onChanged(u); }} onClose={() => setMode("none")} />}
      {mode === "rate" && <RateForm consultation={c} onDone={(u) => { setMode("none"); onChanged(u); }} onClose={() => setMode("none")} />}
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
  const refundNote =
    quote === null
      ? null
      : Number(c.price) === 0
        ? "This consultation is free."
        : quote.percent === 100
          ? `Cancelling now refunds the full ${formatMoney(c.price, c.currency)}.`
          : quote.percent === 0
            ? `Cancelling now gives no refund: ${quote.reason}`
            : `Cancelling now refunds ${formatMoney(quote.amount, c.currency)} (${quote.percent} %): ${quote.reason}`;

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

export function RateForm({
  consultation: c,
  onDone,
  onClose,
}: {
  consultation: Consultation;
  onDone: (c: Consultation) => void;
  onClose: () => void;
}) {
  const [rating, setRating] = useState(0);
  const [review, setReview] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (rating < 1) {
      setError("Choose 1 to 5 stars.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onDone(
        await unwrap(
          api.POST("/api/v1/consultations/consultations/{id}/rate/", {
            params: { path: { id: c.id } },
            body: { rating, review: review.trim() },
          }),
        ),
      );
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Rate consultation">
      <fieldset className="rating-input">
        <legend className="visually-hidden">Rating</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className={n <= rating ? "on" : ""}>
            <input type="radio" name={`rating-${c.id}`} value={n} checked={rating === n} onChange={() => setRating(n)} />
            <span aria-hidden="true">★</span>
            <span className="visually-hidden">{n} star{n > 1 ? "s" : ""}</span>
          </label>
        ))}
      </fieldset>
      <TextArea label="Review (optional)" name="review" value={review} onChange={(e) => setReview(e.target.value)} />
      <ErrorBox message={error} />
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Saving…" : "Submit rating"}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Not now
        </button>
      </div>
    </form>
  );
}
