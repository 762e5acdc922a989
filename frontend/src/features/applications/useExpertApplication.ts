/**
 * The applicant's side of expert verification: their status, their application (asked for only
 * once the status says there is one), and a sentence for each live verification.updated event.
 */
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/http";
import { useAuth } from "../../auth/AuthContext";
import { statusLabel } from "../../components/ui";
import { useAsync } from "../../lib/useAsync";
import { useRealtimeEvent } from "../../realtime/RealtimeProvider";

const LIVE_TEXT: Record<string, string> = {
  approved: "Good news: your application is approved. You are now an expert on Consult.",
  rejected: "Your application was not approved. The reviewer's note below says why.",
  changes_requested: "The reviewer asked for changes; see their note below, then send your application again.",
  under_review: "A reviewer has started looking at your application.",
  pending: "Your application is waiting for a reviewer.",
  suspended: "Your expert profile is suspended; clients cannot book you for now.",
};

export function useExpertApplication() {
  const { refresh } = useAuth();
  const status = useAsync(() => unwrap(api.GET("/api/v1/consultations/experts/verification-status/")), []);
  // Only ask for the application once the status says there is one (my-application/ is a 404 before).
  const applicationId = status.data?.application?.id ?? null;
  const application = useAsync(async () => {
    if (applicationId === null) return null;
    try {
      return await unwrap(api.GET("/api/v1/consultations/experts/my-application/"));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }, [applicationId, status.data?.application?.status, status.data?.application?.documents_count]);
  const [live, setLive] = useState<string | null>(null);

  useRealtimeEvent("verification.updated", (event) => {
    const d = event.data as { application_status?: string | null; expert_status?: string | null };
    const now = d.expert_status ?? d.application_status ?? "";
    setLive(LIVE_TEXT[now] ?? `Your application is now: ${statusLabel(now, "application").toLowerCase()}.`);
    void status.reload();
    void refresh();
  });

  return {
    status: status.data,
    application: application.data ?? null,
    loading: (status.loading && !status.data) || (application.loading && application.data === undefined),
    error: status.error ?? application.error,
    live,
    /** After a submission or an upload: the status (and with it the application) again. */
    reloadStatus: () => void status.reload(),
    retry: () => {
      void status.reload();
      void application.reload();
    },
  };
}
