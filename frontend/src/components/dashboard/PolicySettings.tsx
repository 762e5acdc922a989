import { useEffect, useState, type FormEvent } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { useRealtimeEvent } from "../../realtime/RealtimeProvider";
import { ErrorBox, Loading, Notice, SelectField, TextField } from "../ui";

type Policy = Schemas["ExpertPolicy"];

/** The expert's cancellation policy: a template plus the reschedule rules. Applies to
 * bookings made from now on; each booking keeps the policy it was made under. */
export function PolicySettings() {
  const [data, setData] = useState<Policy | null>(null);
  const [template, setTemplate] = useState("flexible");
  const [cutoff, setCutoff] = useState("24");
  const [maxMoves, setMaxMoves] = useState("2");
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);

  function apply(p: Policy) {
    setData(p);
    setTemplate(p.cancellation_policy);
    setCutoff(String(p.reschedule_cutoff_hours));
    setMaxMoves(String(p.max_reschedules));
  }

  useEffect(() => {
    unwrap(api.GET("/api/v1/consultations/experts/me/policy/")).then(apply, (err) => setError(errorMessage(err)));
  }, []);

  // Changed in another tab (or by another device): show what is now in force.
  useRealtimeEvent("policy.updated", () => {
    unwrap(api.GET("/api/v1/consultations/experts/me/policy/")).then(apply, (err) => setError(errorMessage(err)));
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      apply(
        await unwrap(
          api.PUT("/api/v1/consultations/experts/me/policy/", {
            body: {
              cancellation_policy: template as Policy["cancellation_policy"],
              reschedule_cutoff_hours: Number(cutoff),
              max_reschedules: Number(maxMoves),
            },
          }),
        ),
      );
      setSaved(true);
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (!data) return error ? <ErrorBox message={String(error)} /> : <Loading label="Loading your policy…" />;
  const apiErr = error instanceof ApiError ? error : null;
  const chosen = data.templates.find((t) => t.key === template);
  return (
    <form onSubmit={submit} aria-labelledby="policy-h" data-testid="policy-settings">
      <h2 id="policy-h">Cancellation policy</h2>
      <p className="muted">Clients see it before booking. A change applies to new bookings only; existing ones keep the policy they were made under.</p>
      <SelectField label="Refunds" name="cancellation_policy" value={template} onChange={(e) => setTemplate(e.target.value)} error={apiErr?.field("cancellation_policy")}>
        {data.templates.map((t) => (
          <option key={t.key} value={t.key}>
            {t.label}
          </option>
        ))}
      </SelectField>
      {chosen && (
        <ul className="muted">
          {chosen.summary.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      <TextField
        label="Clients may move a booking until (hours before it starts)"
        name="reschedule_cutoff_hours"
        type="number"
        min={0}
        max={336}
        value={cutoff}
        onChange={(e) => setCutoff(e.target.value)}
        error={apiErr?.field("reschedule_cutoff_hours")}
      />
      <TextField
        label="How often a client may move one booking"
        name="max_reschedules"
        type="number"
        min={0}
        max={10}
        value={maxMoves}
        onChange={(e) => setMaxMoves(e.target.value)}
        error={apiErr?.field("max_reschedules")}
      />
      {apiErr && !apiErr.field("cancellation_policy") && !apiErr.field("reschedule_cutoff_hours") && !apiErr.field("max_reschedules") && <ErrorBox message={apiErr.message} />}
      {typeof error === "string" && <ErrorBox message={error} />}
      {saved && <Notice kind="success">Saved. New bookings get this policy.</Notice>}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? "Saving…" : "Save policy"}
      </button>
      <p className="muted">
        Every booking's money (due, refunds, waived fees) is in its ledger:{" "}
        <a href="/api/v1/consultations/experts/me/ledger.csv" download>
          download it as CSV
        </a>
        .
      </p>
    </form>
  );
}
