/**
 * Staff review of expert applications: the list for one status, and a decision on one
 * application, after which the list reloads and a banner says what the decision did (the card may
 * have left the list).
 */
import { useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { errorMessage } from "../../api/http";
import { useAsync } from "../../lib/useAsync";

export type Application = Schemas["AdminApplication"];
export type ApplicationStatus = "pending" | "under_review" | "changes_requested" | "approved" | "rejected" | "";
export type Decision = Schemas["ReviewRequest"]["decision"];

/** What a decision did, in words, for the banner after it. */
export function reviewOutcome(decision: Decision, name: string): string {
  switch (decision) {
    case "approve":
      return `Approved ${name}. They are now an expert and were notified by email and in the app; they are listed in the marketplace once they set weekly hours.`;
    case "reject":
      return `Rejected ${name}'s application. They were notified with your note and may apply again.`;
    case "request_changes":
      return `Asked ${name} for changes. They were notified with your note; the application comes back here when they resubmit.`;
    default:
      return `Saved your decision on ${name}'s application.`;
  }
}

export function useApplications(status: ApplicationStatus) {
  const list = useAsync(
    () => unwrap(api.GET("/api/v1/consultations/admin/applications/", { params: { query: status ? { status: [status] } : {} } })),
    [status],
  );
  const [outcome, setOutcome] = useState<string | null>(null);

  /** Sends a decision; resolves to an error to show on the card, or null when it was saved. */
  async function review(application: Application, decision: Decision, notes: string): Promise<string | null> {
    if (decision !== "approve" && !notes.trim()) return "Tell the applicant why, in the notes.";
    try {
      await unwrap(
        api.POST("/api/v1/consultations/admin/applications/{id}/review/", {
          params: { path: { id: application.id } },
          body: { decision, notes: notes.trim() },
        }),
      );
    } catch (err) {
      return errorMessage(err);
    }
    setOutcome(reviewOutcome(decision, application.applicant.name || application.applicant.email));
    void list.reload();
    return null;
  }

  return { data: list.data, error: list.error, loading: list.loading, reload: list.reload, outcome, dismissOutcome: () => setOutcome(null), review };
}
