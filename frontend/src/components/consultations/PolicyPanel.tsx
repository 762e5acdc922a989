import { useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { errorMessage } from "../../api/http";
import { formatDateTime, formatMoney, timeZoneLabel, viewerTimeZone } from "../../lib/time";
import styles from "./PolicyPanel.module.css";
import { ErrorBox } from "../ui";

type Consultation = Schemas["Consultation"];

const LEDGER_LABELS: Record<string, string> = {
  due: "Due",
  refund: "Refund",
  waived: "Waived by the expert",
  moved: "Moved to the new booking",
};

/** The cancellation policy this booking was made under, its deadlines in the viewer's zone,
 * and its money ledger. The expert can waive the policy for this one booking. */
export function PolicyPanel({ consultation: c, onChanged }: { consultation: Consultation; onChanged: (c: Consultation) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const isExpert = c.my_role === "expert";
  const active = c.status === "pending" || c.status === "confirmed";
  const zone = timeZoneLabel(viewerTimeZone());
  const total = c.ledger.reduce((sum, e) => sum + Number(e.amount), 0);

  async function waive() {
    if (!window.confirm("Waive your cancellation policy for this booking? The client will get a full refund whenever they cancel.")) return;
    setBusy(true);
    setError(null);
    try {
      onChanged(
        await unwrap(
          api.POST("/api/v1/consultations/consultations/{id}/waive-policy/", {
            params: { path: { id: c.id } },
            body: { reason: "" },
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
    <section className="card" aria-labelledby="policy-title" data-testid="policy-panel">
      <h2 id="policy-title">Cancellation policy: {c.policy.label}</h2>
      {c.policy_waived_at ? (
        <p className="alert alert-success">
          The expert waived this policy for this booking on {formatDateTime(c.policy_waived_at)}: a cancellation is refunded in full.
          {c.policy_waiver_reason && <> Reason: “{c.policy_waiver_reason}”</>}
        </p>
      ) : (
        <ul>
          {c.policy.summary.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {active && !c.policy_waived_at && (
        <ul className="muted" data-testid="policy-deadlines">
          {c.refund_deadlines.map((d) => (
            <li key={d.until}>
              {d.refund_percent === 100 ? "Full refund" : `${d.refund_percent} % refund`} until {formatDateTime(d.until)} ({zone})
            </li>
          ))}
          <li>
            {c.my_role === "user" ? "You" : "The client"} can move it until {formatDateTime(c.reschedule_cutoff_at)} ({zone}) — moved{" "}
            {c.reschedule_count} of {c.policy.max_reschedules} times allowed.
          </li>
        </ul>
      )}
      {c.reschedule_refusal && active && c.my_role === "user" && <p className="muted">{c.reschedule_refusal.message}</p>}
      {isExpert && active && !c.policy_waived_at && (
        <button type="button" className="btn btn-small" onClick={waive} disabled={busy} data-testid="waive-policy">
          Waive the policy for this booking
        </button>
      )}
      <ErrorBox message={error} />
      {c.ledger.length > 0 && (
        <>
          <h3>Money</h3>
          <p className="muted">What is owed for this booking. No card is charged by Consult; the payment status says what was actually paid.</p>
          <div className={styles.ledgerWrap} tabIndex={0} role="region" aria-label="Money for this booking">
            <table className={styles.ledger} data-testid="ledger">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Entry</th>
                  <th className={styles.amount}>Amount</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {c.ledger.map((e) => (
                  <tr key={e.id}>
                    <td className={styles.when}>{formatDateTime(e.created_at)}</td>
                    <td>{LEDGER_LABELS[e.kind] ?? e.kind}</td>
                    <td className={styles.amount}>{formatMoney(e.amount, e.currency)}</td>
                    <td>{e.reason}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th colSpan={2}>{isExpert ? "Yours from this booking" : "You owe for this booking"}</th>
                  <th className={styles.amount}>{formatMoney(total.toFixed(2), c.currency)}</th>
                  <th />
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
