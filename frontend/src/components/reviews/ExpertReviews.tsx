import { useExpertReviews } from "../../features/reviews/useExpertReviews";
import { Empty, ErrorBox, Stars } from "../ui";
import { ReviewCard } from "./ReviewCard";
import styles from "./Reviews.module.css";

/** The profile's reviews, newest first, ten at a time ("Show more" appends the next page). */
export function ExpertReviews({ expertId, expertName, average, count }: { expertId: number; expertName: string; average: string; count: number }) {
  const { items, total, page, more, loading, error, summary, load, replace } = useExpertReviews(expertId, average, count);

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
