import type { Schemas } from "../../api/client";
import { formatDateTimeIn } from "../../lib/timefmt";
import styles from "./ReliabilityPanel.module.css";

type Reliability = Schemas["Reliability"];

/** What the expert's behaviour over the last 90 days says, in plain words. */
export function ReliabilityPanel({ reliability: r }: { reliability: Reliability }) {
  return (
    <section className={styles.panel} aria-labelledby="reliability-heading" data-testid="reliability">
      <h2 id="reliability-heading" className={styles.heading}>
        Reliability
      </h2>
      <ul className={styles.lines}>
        {r.lines.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      <details className={styles.how}>
        <summary>How is this measured?</summary>
        <p>
          From the last {r.window_days} days on Consult: how long the expert took to answer a client&apos;s first chat message (the middle value), whether they
          joined calls within 5 minutes of the start, and how often they cancelled less than 24 hours ahead or missed a call. Signals with fewer than 5
          examples are not shown and do not change the expert&apos;s place in the list.
          {r.computed_at && <> Last updated {formatDateTimeIn(r.computed_at)}.</>}
        </p>
      </details>
    </section>
  );
}
