/** An expert's weekly hours: loaded, edited as a list of ranges, checked, saved. */
import { useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { errorMessage } from "../../api/http";
import { useAsync } from "../../lib/useAsync";

export type Rule = Schemas["WeeklyRuleRequest"];
type Availability = Schemas["Availability"];

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** Client-side checks mirroring the server's: end after start, no overlaps within a day. */
export function validateRules(rules: Rule[]): string | null {
  for (let day = 0; day < 7; day++) {
    const ranges = rules.filter((r) => r.weekday === day).sort((a, b) => a.start_time.localeCompare(b.start_time));
    for (const r of ranges) {
      if (!r.start_time || !r.end_time) return `${WEEKDAYS[day]}: fill in both times.`;
      if (r.end_time <= r.start_time) return `${WEEKDAYS[day]}: ${r.end_time} is not after ${r.start_time}.`;
    }
    for (let i = 1; i < ranges.length; i++) {
      if (ranges[i].start_time < ranges[i - 1].end_time) {
        return `${WEEKDAYS[day]}: ${ranges[i - 1].start_time}–${ranges[i - 1].end_time} overlaps ${ranges[i].start_time}–${ranges[i].end_time}.`;
      }
    }
  }
  return null;
}

const hhmm = (t: string) => t.slice(0, 5);
const editable = (a: Availability): Rule[] => a.rules.map((r) => ({ weekday: r.weekday, start_time: hhmm(r.start_time), end_time: hhmm(r.end_time) }));

export function useWeeklyHours(expertId: number) {
  const [rules, setRules] = useState<Rule[]>([]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const availability = useAsync(
    () => unwrap(api.GET("/api/v1/consultations/experts/{id}/availability/", { params: { path: { id: expertId } } })),
    [expertId],
    // The form starts from what is stored, each time it is loaded.
    { onLoad: (a) => setRules(editable(a)) },
  );

  function update(index: number, patch: Partial<Rule>) {
    setRules((prev) => prev.map((r, i) => (i === index ? { ...r, ...patch } : r)));
    setSaved(null);
  }

  function add(weekday: number) {
    setRules((prev) => [...prev, { weekday, start_time: "09:00", end_time: "17:00" }]);
  }

  function remove(index: number) {
    setRules((prev) => prev.filter((_, j) => j !== index));
  }

  /** Checks, then saves; the form shows what the server stored. */
  async function save() {
    const problem = validateRules(rules);
    setError(problem);
    setSaved(null);
    if (problem) return;
    setSaving(true);
    try {
      const result = await unwrap(api.POST("/api/v1/consultations/experts/availability/update/", { body: { rules } }));
      availability.setData(result);
      setRules(editable(result));
      setSaved("Weekly hours saved.");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  return { availability, rules, update, add, remove, save, saving, error, saved };
}
