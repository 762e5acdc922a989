import { useId, useMemo, useState } from "react";

import { allTimeZones, zoneWithOffset } from "../lib/zones";
import styles from "./TimeZoneSelect.module.css";

/**
 * Every IANA zone the browser knows, with its current offset, in a select that a search box
 * narrows down ("paris", "GMT+9", "new york"). Only real zone names can be chosen; the
 * server checks the name again.
 */
export function TimeZoneSelect({
  label = "Time zone",
  value,
  onChange,
  error,
  hint,
}: {
  label?: string;
  value: string;
  onChange: (zone: string) => void;
  error?: string;
  hint?: string;
}) {
  const id = useId();
  const [query, setQuery] = useState("");
  const options = useMemo(() => {
    const now = new Date();
    const zones = allTimeZones();
    const list = zones.includes(value) || !value ? zones : [value, ...zones];
    return list.map((z) => ({ zone: z, label: zoneWithOffset(z, now) }));
  }, [value]);
  const words = query.trim().toLowerCase().replace(/_/g, " ").split(/\s+/).filter(Boolean);
  const matches = words.length ? options.filter((o) => words.every((w) => o.label.toLowerCase().includes(w))) : options;
  // The chosen zone stays in the list, so the select never shows a value it does not hold.
  const current = options.find((o) => o.zone === value);
  const shown = current && !matches.includes(current) ? [current, ...matches] : matches;
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;

  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={`${id}-select`}>{label}</label>
      <div className={styles.combo}>
        <input
          type="search"
          className={styles.search}
          placeholder="Search: city or GMT+1"
          aria-label={`Search ${label.toLowerCase()}s`}
          aria-controls={`${id}-select`}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <select
          id={`${id}-select`}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
        >
          {shown.map((o) => (
            <option key={o.zone} value={o.zone}>
              {o.label}
            </option>
          ))}
        </select>
        {words.length > 0 && (
          <small className={styles.count} aria-live="polite">
            {matches.length === 1 ? "1 zone matches" : `${matches.length} zones match`}
          </small>
        )}
      </div>
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-err`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}
