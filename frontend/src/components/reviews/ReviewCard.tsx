import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/http";
import { formatDay } from "../../lib/timefmt";
import { ErrorBox, TextArea } from "../ui";
import type { Review } from "./ReviewForm";
import styles from "./Reviews.module.css";

/** One review: stars, text, the expert's public reply (editable by them), staff hide/restore. */
export function ReviewCard({ review: r, expertName, onChanged }: { review: Review; expertName?: string; onChanged: (r: Review) => void }) {
  const [mode, setMode] = useState<"none" | "reply" | "hide">("none");
  return (
    <article className={r.is_hidden ? `${styles.card} ${styles.hidden}` : styles.card} data-testid="review">
      <header className={styles.head}>
        <span className={styles.stars} aria-label={`${r.rating} out of 5 stars`}>
          {"★".repeat(r.rating)}
          <span className={styles.off}>{"★".repeat(5 - r.rating)}</span>
        </span>
        <span className={styles.author}>{r.author_name}</span>
        <time className="muted" dateTime={r.created_at}>
          {formatDay(r.created_at)}
        </time>
      </header>
      {r.is_hidden && (
        <p className={styles.hiddenNote}>
          Hidden by staff{r.hidden_reason ? `: ${r.hidden_reason}` : ""}. It does not count in the rating.
        </p>
      )}
      {r.text ? <p className={styles.text}>{r.text}</p> : <p className="muted">No written review.</p>}
      {r.reply && mode !== "reply" && (
        <div className={styles.reply}>
          <strong>Reply from {expertName ?? "the expert"}</strong>
          {r.reply_edited_at && <span className="muted"> (edited)</span>}
          <p>{r.reply}</p>
        </div>
      )}
      <div className="actions">
        {r.can_reply && mode === "none" && (
          <button type="button" className="btn btn-small" onClick={() => setMode("reply")}>
            {r.reply ? "Edit reply" : "Reply publicly"}
          </button>
        )}
        {r.can_hide && mode === "none" && !r.is_hidden && (
          <button type="button" className="btn btn-small btn-danger" onClick={() => setMode("hide")}>
            Hide review
          </button>
        )}
        {r.can_hide && r.is_hidden && <RestoreButton review={r} onChanged={onChanged} />}
      </div>
      {mode === "reply" && (
        <ReviewNoteForm
          initial={r.reply}
          ariaLabel="Reply to review"
          label="Your public reply"
          hint="Everyone who reads this review sees it."
          name="reply"
          maxLength={2000}
          submitClass="btn-primary"
          submitLabel="Save reply"
          busyLabel="Saving…"
          send={(text) => api.PUT("/api/v1/consultations/reviews/{id}/reply/", { params: { path: { id: r.id } }, body: { reply: text } })}
          onDone={(u) => {
            setMode("none");
            onChanged(u);
          }}
          onClose={() => setMode("none")}
        />
      )}
      {mode === "hide" && (
        <ReviewNoteForm
          initial=""
          ariaLabel="Hide review"
          label="Why hide it?"
          hint="Kept in the audit log; the client and the expert see it."
          name="reason"
          maxLength={500}
          submitClass="btn-danger"
          submitLabel="Hide review"
          busyLabel="Hiding…"
          send={(text) => api.POST("/api/v1/consultations/reviews/{id}/hide/", { params: { path: { id: r.id } }, body: { reason: text } })}
          onDone={(u) => {
            setMode("none");
            onChanged(u);
          }}
          onClose={() => setMode("none")}
        />
      )}
    </article>
  );
}

type ReviewAnswer = Parameters<typeof unwrap<Review>>[0];

/** The reply and hide forms: one text, sent trimmed, the updated review handed back. */
function ReviewNoteForm(props: {
  initial: string;
  ariaLabel: string;
  label: string;
  hint: string;
  name: string;
  maxLength: number;
  submitClass: string;
  submitLabel: string;
  busyLabel: string;
  send: (text: string) => ReviewAnswer;
  onDone: (r: Review) => void;
  onClose: () => void;
}) {
  const [text, setText] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onDone(await unwrap(props.send(text.trim())));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className={styles.form} onSubmit={submit} aria-label={props.ariaLabel}>
      <TextArea label={props.label} hint={props.hint} name={props.name} required maxLength={props.maxLength} value={text} onChange={(e) => setText(e.target.value)} />
      <ErrorBox message={error} />
      <div className="actions">
        <button type="submit" className={`btn ${props.submitClass} btn-small`} disabled={busy || !text.trim()}>
          {busy ? props.busyLabel : props.submitLabel}
        </button>
        <button type="button" className="btn btn-small" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RestoreButton({ review: r, onChanged }: { review: Review; onChanged: (r: Review) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function restore() {
    setBusy(true);
    setError(null);
    try {
      onChanged(await unwrap(api.DELETE("/api/v1/consultations/reviews/{id}/hide/", { params: { path: { id: r.id } } })));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" className="btn btn-small" onClick={restore} disabled={busy}>
        Show again
      </button>
      <ErrorBox message={error} />
    </>
  );
}
