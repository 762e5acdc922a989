import { useState, type FormEvent } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { errorMessage } from "../../api/http";
import { ErrorBox, TextArea } from "../ui";
import styles from "./Reviews.module.css";

export type Review = Schemas["Review"];

const WORDS = ["", "Poor", "Fair", "Good", "Very good", "Excellent"];

/** The client's one review of a completed consultation: 1–5 stars and optional text. */
export function ReviewForm({
  consultationId,
  expertName,
  onDone,
  onClose,
}: {
  consultationId: number;
  expertName: string;
  onDone: (review: Review) => void;
  onClose?: () => void;
}) {
  const [rating, setRating] = useState(0);
  const [text, setText] = useState("");
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
          api.POST("/api/v1/consultations/consultations/{id}/review/", {
            params: { path: { id: consultationId } },
            body: { rating, text: text.trim() },
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
    <form className={styles.form} onSubmit={submit} aria-label="Review this consultation" data-testid="review-form">
      <p className={styles.prompt}>How was your consultation with {expertName}? Your review appears on their profile with your first name.</p>
      <fieldset className={styles.starsInput}>
        <legend className="visually-hidden">Rating</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className={n <= rating ? styles.on : undefined}>
            <input type="radio" name={`rating-${consultationId}`} value={n} checked={rating === n} onChange={() => setRating(n)} />
            <span aria-hidden="true">★</span>
            <span className="visually-hidden">
              {n} star{n > 1 ? "s" : ""} ({WORDS[n]})
            </span>
          </label>
        ))}
        <span className={styles.ratingWord} aria-live="polite">
          {WORDS[rating]}
        </span>
      </fieldset>
      <TextArea label="What went well, what could be better (optional)" name="review" maxLength={2000} value={text} onChange={(e) => setText(e.target.value)} />
      <ErrorBox message={error} />
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Posting…" : "Post review"}
        </button>
        {onClose && (
          <button type="button" className="btn" onClick={onClose}>
            Not now
          </button>
        )}
      </div>
    </form>
  );
}
