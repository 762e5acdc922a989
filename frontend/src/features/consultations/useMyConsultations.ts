/** The signed-in person's bookings, upcoming or past, a page at a time, kept current live. */
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { formatMoney } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { useRealtimeEvent, useResyncOnReconnect } from "../../realtime/RealtimeProvider";
import { CONSULTATION_EVENTS, type Consultation } from "./useConsultation";

export type Tab = "upcoming" | "past";

export function useMyConsultations() {
  const [tab, setTabState] = useState<Tab>("upcoming");
  const [page, setPage] = useState(1);
  const [notice, setNotice] = useState<string | null>(null);
  const list = useAsync(
    () =>
      tab === "upcoming"
        ? unwrap(api.GET("/api/v1/consultations/consultations/upcoming/", { params: { query: { page } } }))
        : unwrap(api.GET("/api/v1/consultations/consultations/past/", { params: { query: { page } } })),
    [tab, page],
  );

  // Any change to one of my bookings (from the other side, another tab, a task) shows at once.
  useRealtimeEvent(CONSULTATION_EVENTS, () => void list.reload());
  useResyncOnReconnect(() => void list.reload());

  function setTab(next: Tab) {
    setTabState(next);
    setPage(1);
    setNotice(null);
  }

  /** A booking changed here (cancelled, reviewed…): show it and say what happened. */
  function replace(updated: Consultation) {
    list.setData((prev) => (prev ? { ...prev, results: prev.results.map((c) => (c.id === updated.id ? updated : c)) } : prev!));
    if (updated.status === "cancelled") {
      const refund =
        updated.refund_amount && Number(updated.refund_amount) > 0
          ? ` A refund of ${formatMoney(updated.refund_amount, updated.currency)} is due.`
          : "";
      setNotice(`“${updated.topic}” is cancelled; it is now under Past.${refund}`);
    } else if (updated.review) {
      setNotice("Thanks for your review. It is now on the expert's profile.");
    }
  }

  return { tab, setTab, page, setPage, list, notice, replace };
}
