import { useState, type FormEvent } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { formatDateTime, timeZoneLabel } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { ErrorBox, Loading, Notice, SelectField, TextField } from "../ui";
import { TimeZoneSelect } from "../TimeZoneSelect";
import { DateOverridesEditor } from "./DateOverridesEditor";
import { SessionLengthChips } from "./SessionLengthChips";
import { useWeeklyHours, WEEKDAYS } from "../../features/availability/useWeeklyHours";

const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

type Settings = Schemas["SchedulingSettings"];

export function AvailabilityEditor({ expertId }: { expertId: number }) {
  const { availability, rules, update, add, remove, save: saveRules, saving, error, saved } = useWeeklyHours(expertId);

  if (availability.loading && !availability.data) return <Loading label="Loading availability…" />;
  if (availability.error || !availability.data) return <ErrorBox message={availability.error} onRetry={() => void availability.reload()} />;

  function save(event: FormEvent) {
    event.preventDefault();
    void saveRules();
  }

  return (
    <div className="stack">
      <form onSubmit={save} aria-labelledby="weekly-hours">
        <h3 id="weekly-hours">Weekly hours</h3>
        <p className="muted">
          In your time zone: <strong>{availability.data.timezone}</strong>
          {availability.data.next_available_at && <> · next free slot {formatDateTime(availability.data.next_available_at)}</>}
        </p>
        {WEEKDAYS.map((name, day) => {
          const dayRules = rules.map((r, i) => ({ r, i })).filter(({ r }) => r.weekday === day);
          return (
            <div className="availability-day" key={name} role="group" aria-label={name}>
              <strong>{name}</strong>
              <div>
                {dayRules.length === 0 && <span className="muted">Unavailable </span>}
                {dayRules.map(({ r, i }) => (
                  <div className="range-row" key={i}>
                    <label className="visually-hidden" htmlFor={`rule-${i}-start`}>
                      {name} start
                    </label>
                    <input id={`rule-${i}-start`} type="time" value={r.start_time} onChange={(e) => update(i, { start_time: e.target.value })} />
                    <span aria-hidden="true">–</span>
                    <label className="visually-hidden" htmlFor={`rule-${i}-end`}>
                      {name} end
                    </label>
                    <input id={`rule-${i}-end`} type="time" value={r.end_time} onChange={(e) => update(i, { end_time: e.target.value })} />
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`Remove ${name} ${r.start_time}–${r.end_time}`}
                      onClick={() => remove(i)}
                    >
                      <span aria-hidden="true">✕</span>
                    </button>
                  </div>
                ))}
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => add(day)}
                >
                  + Add hours
                </button>
              </div>
            </div>
          );
        })}
        <ErrorBox message={error} />
        {saved && <Notice kind="success">{saved}</Notice>}
        <button className="btn btn-primary" type="submit" disabled={saving} style={{ marginTop: "0.75rem" }}>
          {saving ? "Saving…" : "Save weekly hours"}
        </button>
      </form>
      <DateOverridesEditor timeZone={availability.data.timezone} weeklyRules={availability.data.rules} />
      <SettingsForm initial={availability.data.settings} onSaved={() => void availability.reload()} />
      <BlocksEditor />
    </div>
  );
}

function SettingsForm({ initial, onSaved }: { initial: Settings; onSaved: () => void }) {
  const [values, setValues] = useState(() => ({
    timezone: initial.timezone ?? "UTC",
    slot_interval_minutes: String(initial.slot_interval_minutes ?? 30),
    buffer_before_minutes: String(initial.buffer_before_minutes ?? 0),
    buffer_after_minutes: String(initial.buffer_after_minutes ?? 0),
    min_notice_minutes: String(initial.min_notice_minutes ?? 120),
    max_bookings_per_day: String(initial.max_bookings_per_day ?? 8),
    booking_horizon_days: String(initial.booking_horizon_days ?? 60),
  }));
  const [lengths, setLengths] = useState<number[]>(() => [...(initial.session_lengths ?? [])]);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof values) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [k]: e.target.value }));
    setSaved(false);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!lengths.length) {
      setError("Choose at least one session length.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.PATCH("/api/v1/consultations/experts/availability/settings/", {
          body: {
            timezone: values.timezone,
            session_lengths: lengths,
            slot_interval_minutes: Number(values.slot_interval_minutes),
            buffer_before_minutes: Number(values.buffer_before_minutes),
            buffer_after_minutes: Number(values.buffer_after_minutes),
            min_notice_minutes: Number(values.min_notice_minutes),
            max_bookings_per_day: Number(values.max_bookings_per_day),
            booking_horizon_days: Number(values.booking_horizon_days),
          },
        }),
      );
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const apiErr = error instanceof ApiError ? error : null;
  return (
    <form onSubmit={submit} aria-labelledby="booking-rules">
      <h3 id="booking-rules">Booking rules</h3>
      <TimeZoneSelect
        label="Your time zone"
        value={values.timezone}
        onChange={(zone) => {
          setValues((v) => ({ ...v, timezone: zone }));
          setSaved(false);
        }}
        hint="Your weekly hours are in this zone; clients see times in theirs."
        error={apiErr?.field("timezone")}
      />
      <SessionLengthChips
        value={lengths}
        onChange={(next) => {
          setLengths(next);
          setSaved(false);
        }}
        error={apiErr?.field("session_lengths") ?? (typeof error === "string" && !lengths.length ? error : undefined)}
      />
      <div className="row">
        <SelectField label="Start times every" value={values.slot_interval_minutes} onChange={set("slot_interval_minutes")} error={apiErr?.field("slot_interval_minutes")}>
          {[15, 20, 30, 45, 60].map((n) => (
            <option key={n} value={n}>
              {n} minutes
            </option>
          ))}
        </SelectField>
        <TextField label="Minimum notice (minutes)" type="number" min={0} value={values.min_notice_minutes} onChange={set("min_notice_minutes")} error={apiErr?.field("min_notice_minutes")} />
      </div>
      <div className="row">
        <TextField label="Buffer before (minutes)" type="number" min={0} value={values.buffer_before_minutes} onChange={set("buffer_before_minutes")} error={apiErr?.field("buffer_before_minutes")} />
        <TextField label="Buffer after (minutes)" type="number" min={0} value={values.buffer_after_minutes} onChange={set("buffer_after_minutes")} error={apiErr?.field("buffer_after_minutes")} />
      </div>
      <div className="row">
        <TextField label="Max bookings per day" type="number" min={1} value={values.max_bookings_per_day} onChange={set("max_bookings_per_day")} error={apiErr?.field("max_bookings_per_day")} />
        <TextField label="Bookable days ahead" type="number" min={1} value={values.booking_horizon_days} onChange={set("booking_horizon_days")} error={apiErr?.field("booking_horizon_days")} />
      </div>
      {typeof error === "string" && lengths.length > 0 && <ErrorBox message={error} />}
      {apiErr && Object.keys(apiErr.fields).length === 0 && <ErrorBox message={apiErr.message} />}
      {saved && <Notice kind="success">Booking rules saved.</Notice>}
      <button className="btn btn-primary" type="submit" disabled={busy}>
        {busy ? "Saving…" : "Save booking rules"}
      </button>
    </form>
  );
}

function BlocksEditor() {
  const blocks = useAsync(() => unwrap(api.GET("/api/v1/consultations/experts/availability/blocks/")), []);
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [kind, setKind] = useState<Schemas["UnavailabilityRequest"]["kind"]>("one_off");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [warning, setWarning] = useState<string | null>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    if (!start || !end) {
      setError("Choose when the time off starts and ends.");
      return;
    }
    if (end <= start) {
      setError("The end must be after the start.");
      return;
    }
    setError(null);
    setWarning(null);
    try {
      // datetime-local values are the viewer's wall clock; send them as instants.
      const created = await unwrap(
        api.POST("/api/v1/consultations/experts/availability/blocks/", {
          body: { start_at: new Date(start).toISOString(), end_at: new Date(end).toISOString(), kind, reason },
        }),
      );
      if (created.overlapping_consultation_ids.length) {
        setWarning(
          created.overlapping_consultation_ids.length === 1
            ? "1 booking falls inside this time off; it stays until you cancel it."
            : `${created.overlapping_consultation_ids.length} bookings fall inside this time off; they stay until you cancel them.`,
        );
      }
      setStart("");
      setEnd("");
      setReason("");
      void blocks.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function remove(id: number) {
    try {
      await unwrap(api.DELETE("/api/v1/consultations/experts/availability/blocks/{id}/", { params: { path: { id } } }));
      blocks.setData((prev) => (prev ?? []).filter((b) => b.id !== id));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <section aria-labelledby="time-off">
      <h3 id="time-off">Time off</h3>
      {blocks.loading && !blocks.data && <Loading />}
      <ErrorBox message={blocks.error} onRetry={() => void blocks.reload()} />
      {blocks.data && blocks.data.length > 0 && (
        <ul className="doc-list">
          {blocks.data.map((b) => (
            <li key={b.id}>
              <span>
                {formatDateTime(b.start_at)} → {formatDateTime(b.end_at)} · {b.kind.replace("_", "-")}
                {b.reason && ` · ${b.reason}`}
              </span>
              <button type="button" className="btn btn-small" onClick={() => void remove(b.id)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {blocks.data && blocks.data.length === 0 && <p className="muted">No time off planned.</p>}
      <form onSubmit={add}>
        {/* new Date(value) reads a datetime-local value in the browser's zone, so name that one. */}
        <p className="muted" data-testid="time-off-zone">
          Times in {timeZoneLabel(browserZone)}.
        </p>
        <div className="row">
          <TextField label="From" type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />
          <TextField label="Until" type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />
        </div>
        <div className="row">
          <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value as Schemas["UnavailabilityRequest"]["kind"])}>
            <option value="one_off">One-off</option>
            <option value="holiday">Holiday</option>
            <option value="vacation">Vacation</option>
          </SelectField>
          <TextField label="Reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={200} />
        </div>
        <ErrorBox message={error} />
        {warning && <Notice kind="warning">{warning}</Notice>}
        <button type="submit" className="btn">
          Add time off
        </button>
      </form>
    </section>
  );
}
