import { useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { ApiError, errorMessage } from "../api/http";
import { alternativesOf, ConflictAlternatives, type Alternative } from "../components/booking/ConflictAlternatives";
import { SlotPicker, TimeDisplayControls, type TimeSlot } from "../components/booking/SlotPicker";
import { preferredClock, preferredTimeZone, rememberClock, rememberTimeZone, type ClockPref } from "../lib/zones";
import { ErrorBox, Loading, TextArea } from "../components/ui";
import { newIdempotencyKey } from "../lib/idempotency";
import { formatRange, viewerTimeZone } from "../lib/time";
import { useAsync } from "../lib/useAsync";
import { paths } from "../routes";

export function ReschedulePage() {
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const detail = useAsync(
    () => unwrap(api.GET("/api/v1/consultations/consultations/{id}/", { params: { path: { id } } })),
    [id],
  );
  const [tz, setTz] = useState(() => preferredTimeZone());
  const [clock, setClock] = useState<ClockPref>(() => preferredClock());
  const [slot, setSlot] = useState<TimeSlot | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<{ message: string; alternatives: Alternative[] } | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [focusStart, setFocusStart] = useState<string | null>(null);
  const idemKey = useRef<string | null>(null);

  if (detail.loading && !detail.data) return <Loading />;
  if (detail.error || !detail.data) return <ErrorBox message={detail.error ?? "Not found."} onRetry={() => void detail.reload()} />;
  const c = detail.data;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!slot) {
      setError("Choose a new time.");
      return;
    }
    setBusy(true);
    setError(null);
    setConflict(null);
    idemKey.current ??= newIdempotencyKey();
    try {
      const moved = await unwrap(
        api.POST("/api/v1/consultations/consultations/{id}/reschedule/", {
          params: { path: { id }, header: { "Idempotency-Key": idemKey.current } },
          body: { start_at: slot.start, timezone: viewerTimeZone(), reason: reason.trim() },
        }),
      );
      navigate(paths.consultation(moved.id), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || alternativesOf(err.body).length)) {
        setConflict({ message: err.message, alternatives: alternativesOf(err.body) });
        setSlot(null);
        setRefreshKey((k) => k + 1);
        idemKey.current = null;
      } else {
        if (err instanceof ApiError && err.status > 0) idemKey.current = null;
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
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
              onSelect={(s) => {
                setSlot(s);
                setConflict(null);
                idemKey.current = null;
              }}
              refreshKey={refreshKey}
              focusStart={focusStart}
            />
            {conflict && (
              <ConflictAlternatives
                message={conflict.message}
                alternatives={conflict.alternatives}
                onPick={(alt) => {
                  setConflict(null);
                  setFocusStart(alt.start);
                  setSlot({ start: alt.start, end: alt.end } as TimeSlot);
                }}
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
