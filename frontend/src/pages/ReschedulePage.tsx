import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";

import { ConflictAlternatives } from "../components/booking/ConflictAlternatives";
import { SlotPicker, TimeDisplayControls } from "../components/booking/SlotPicker";
import { preferredClock, preferredTimeZone, rememberClock, rememberTimeZone, type ClockPref } from "../lib/zones";
import { ErrorBox, Loading, TextArea } from "../components/ui";
import { useReschedule } from "../features/booking/useReschedule";
import { formatRange } from "../lib/time";
import { paths } from "../routes";

export function ReschedulePage() {
  const id = Number(useParams().id);
  const { detail, slot, pick, pickAlternative, submit: move, busy, error, conflict, refreshKey, focusStart } = useReschedule(id);
  const [tz, setTz] = useState(() => preferredTimeZone());
  const [clock, setClock] = useState<ClockPref>(() => preferredClock());
  const [reason, setReason] = useState("");

  if (detail.loading && !detail.data) return <Loading />;
  if (detail.error || !detail.data) return <ErrorBox message={detail.error ?? "Not found."} onRetry={() => void detail.reload()} />;
  const c = detail.data;

  function submit(event: FormEvent) {
    event.preventDefault();
    void move(reason);
  }

  return (
    <div className="page">
      <p>
        <Link to={paths.consultation(id)}>← Back to the consultation</Link>
      </p>
      <section className="card">
        <h1>Reschedule</h1>
        <p>
          Now: <strong>{formatRange(c.start_at, c.end_at)}</strong> with {c.my_role === "expert" ? c.user.name : c.expert.name}.
        </p>
        {!c.can_reschedule ? (
          <ErrorBox message={c.reschedule_refusal?.message ?? "This consultation can no longer be rescheduled."} />
        ) : (
          <form onSubmit={submit}>
            <TimeDisplayControls
              timeZone={tz}
              onTimeZone={(z) => {
                setTz(z);
                rememberTimeZone(z);
              }}
              clock={clock}
              onClock={(v) => {
                setClock(v);
                rememberClock(v);
              }}
            />
            <SlotPicker
              key={tz}
              timeZone={tz}
              clock={clock}
              expertId={c.expert.id}
              duration={c.duration_minutes}
              selected={slot}
              onSelect={pick}
              refreshKey={refreshKey}
              focusStart={focusStart}
            />
            {conflict && (
              <ConflictAlternatives
                message={conflict.message}
                alternatives={conflict.alternatives}
                onPick={pickAlternative}
              />
            )}
            {slot && <p className="alert alert-info">New time: {formatRange(slot.start, slot.end)}</p>}
            <TextArea label="Reason (optional)" name="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            <ErrorBox message={error} />
            <button className="btn btn-primary" type="submit" disabled={busy || !slot}>
              {busy ? "Moving…" : "Move to this time"}
            </button>
          </form>
        )}
      </section>
    </div>
  );
}
