/**
 * An expert's reviews, newest first, ten at a time ("show more" appends the next page), and the
 * average shown beside them; both follow live review events for this expert.
 */
import { useCallback, useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/http";
import type { Review } from "../../components/reviews/ReviewForm";
import { useRealtimeEvent, useResyncOnReconnect } from "../../realtime/RealtimeProvider";

export const REVIEW_EVENTS = ["review.posted", "review.replied", "review.hidden", "review.restored"] as const;

function fetchPage(expertId: number, page: number) {
  return unwrap(api.GET("/api/v1/consultations/experts/{id}/reviews/", { params: { path: { id: expertId }, query: { page } } }));
}

export function useExpertReviews(expertId: number, average: string, count: number) {
  const [items, setItems] = useState<Review[]>([]);
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [summary, setSummary] = useState({ average, count });
  // New figures from the page (a refetched profile) replace the shown ones, during render.
  const [given, setGiven] = useState({ average, count });
  if (given.average !== average || given.count !== count) {
    setGiven({ average, count });
    setSummary({ average, count });
  }

  /** Shows page `want` (1 replaces the list, later pages append); state is set from the answer. */
  const show = useCallback(
    (want: number) =>
      fetchPage(expertId, want).then(
        (data) => {
          setItems((prev) => (want === 1 ? data.results : [...prev, ...data.results]));
          setTotal(data.count);
          setMore(Boolean(data.next));
          setPage(want);
          setLoading(false);
        },
        (err: unknown) => {
          setError(errorMessage(err));
          setLoading(false);
        },
      ),
    [expertId],
  );

  /** Loads page `want` from a click or an event: shows "loading" first. */
  const load = useCallback(
    (want: number) => {
      setLoading(true);
      setError(null);
      return show(want);
    },
    [show],
  );

  useEffect(() => {
    void show(1);
  }, [show]);

  // Only the client and the expert receive review events; for them the list and the
  // average update in place.
  useRealtimeEvent([...REVIEW_EVENTS], (event) => {
    if (event.data.expert_id !== expertId) return;
    setSummary({ average: event.data.average_rating, count: event.data.review_count });
    void load(1);
  });
  useResyncOnReconnect(() => void load(1));

  /** A review changed here (a reply, hidden by staff): show the new version. */
  function replace(updated: Review) {
    setItems((prev) => prev.map((r) => (r.id === updated.id ? updated : r)));
  }

  return { items, total, page, more, loading, error, summary, load, replace };
}
