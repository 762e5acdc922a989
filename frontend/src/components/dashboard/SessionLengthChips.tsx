import { useId } from "react";

import styles from "./SessionLengthChips.module.css";
import chips from "../Chips.module.css";

/** The lengths the server accepts (quarter hours up to 4 h); these are offered as chips. */
export const OFFERED_LENGTHS = [15, 30, 45, 60, 90, 120, 180, 240];
export const MAX_LENGTHS = 6;

export function lengthLabel(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** Checkbox chips for the session lengths clients can book. */
export function SessionLengthChips({ value, onChange, error }: { value: number[]; onChange: (lengths: number[]) => void; error?: string }) {
  const id = useId();
  const offered = [...new Set([...OFFERED_LENGTHS, ...value])].sort((a, b) => a - b);
  const full = value.length >= MAX_LENGTHS;
  return (
    <fieldset className={styles.lengths} aria-describedby={`${id}-hint${error ? ` ${id}-err` : ""}`}>
      <legend>Session lengths clients can book</legend>
      <div className={chips.chips}>
        {offered.map((m) => {
          const on = value.includes(m);
          return (
            <label key={m} className={`${chips.chip}${on ? ` ${chips.on}` : ""}`}>
              <input
                type="checkbox"
                checked={on}
                disabled={!on && full}
                onChange={() => onChange(on ? value.filter((v) => v !== m) : [...value, m].sort((a, b) => a - b))}
              />
              {lengthLabel(m)}
            </label>
          );
        })}
      </div>
      <small id={`${id}-hint`} className="hint">
        Choose 1 to {MAX_LENGTHS}. The price follows your hourly rate.
      </small>
      {error && (
        <small id={`${id}-err`} className="field-error">
          {error}
        </small>
      )}
    </fieldset>
  );
}
