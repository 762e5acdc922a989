import { useCallback, useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/http";
import { useRealtimeEvent, useResyncOnReconnect } from "../../realtime/RealtimeProvider";
import { Empty, ErrorBox, Stars } from "../ui";
import { ReviewCard } from "./ReviewCard";
import type { Review } from "./ReviewForm";
import styles from "./Reviews.module.css";

export const REVIEW_EVENTS = ["review.posted", "review.replied", "review.hidden", "review.restored"] as const;

/** The profile's reviews, newest first, ten at a time ("Show more" appends the next page). */
export function ExpertReviews({ expertId, expertName, average, count }: { expertId: number; expertName: string; average: string; count: number }) {
  const [items, setItems] = useState<Review[]>([]);
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [summary, setSummary] = useState({ average, count });

  const load = useCallback(
    async (want: number) => {
      setLoading(true);
      setError(null);
      try {
        const data = await unwrap(
          api.GET("/api/v1/consultations/experts/{id}/reviews/", { params: { path: { id: expertId }, query: { page: want } } }),
        );
        setItems((prev) => (want === 1 ? data.results : [...prev, ...data.results]));
        setTotal(data.count);
        setMore(Boolean(data.next));
        setPage(want);
      } catch (err) {
        setError(errorMessage(err));
      } finally {
        setLoading(false);
      }
    },
    [expertId],
  );

  useEffect(() => {
    void load(1);
  }, [load]);
  useEffect(() => setSummary({ average, count }), [average, count]);

  // Only the client and the expert receive review events; for them the list and the
  // average update in place.
  useRealtimeEvent([...REVIEW_EVENTS], (event) => {
    if (event.data.expert_id !== expertId) return;
    setSummary({ average: event.data.average_rating, count: event.data.review_count });
    void load(1);
  });
  useResyncOnReconnect(() => void load(1));

  function replace(updated: Review) {
    setItems((prev) => prev.map((r) => (r.id === updated.id ? updated : r)));
  }

  return (
    <section className="card" aria-labelledby="reviews-heading" data-testid="expert-reviews">
      <div className={styles.listHead}>
        <h2 id="reviews-heading">Reviews</h2>
        <Stars value={summary.average} count={summary.count} />
      </div>
      <p className="muted">Only clients who finished a consultation can review, once each.</p>
      <ErrorBox message={error} onRetry={() => void load(1)} />
      {!loading && !error && total === 0 && <Empty>No reviews yet.</Empty>}
      <div className={styles.list}>
        {items.map((r) => (
          <ReviewCard key={r.id} review={r} expertName={expertName} onChanged={replace} />
        ))}
      </div>
      {more && (
        <button type="button" className="btn" onClick={() => void load(page + 1)} disabled={loading}>
          {loading ? "Loading…" : "Show more reviews"}
        </button>
      )}
    </section>
  );
}
