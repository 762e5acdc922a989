import type { Schemas } from "../../api/client";
import { formatDateTime } from "../../lib/time";
import styles from "./ConflictAlternatives.module.css";

export type Alternative = Schemas["AlternativeSlot"];

/** The 409 answer of a booking: what happened and the nearest free times to choose instead. */
export function ConflictAlternatives({
  message,
  alternatives,
  onPick,
}: {
  message: string;
  alternatives: Alternative[];
  onPick: (alt: Alternative) => void;
}) {
  return (
    <div className="alert alert-warning" role="alert" data-testid="conflict">
      <div>
        <strong>{message}</strong>
        {alternatives.length > 0 ? (
          <>
            <p style={{ margin: "0.4rem 0 0" }}>These nearby times are free:</p>
            <div className={styles.alternatives}>
              {alternatives.map((alt) => (
                <button key={alt.start} type="button" className="btn btn-small" onClick={() => onPick(alt)}>
                  {formatDateTime(alt.start)}
                </button>
              ))}
            </div>
          </>
        ) : (
          <p style={{ margin: "0.4rem 0 0" }}>Please choose another time.</p>
        )}
      </div>
    </div>
  );
}

export function alternativesOf(body: Record<string, unknown>): Alternative[] {
  const alts = body.alternatives;
  return Array.isArray(alts) ? (alts as Alternative[]).filter((a) => a && typeof a.start === "string") : [];
}
