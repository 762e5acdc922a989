import { useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { ApiError, errorMessage } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { alternativesOf, ConflictAlternatives, type Alternative } from "../components/booking/ConflictAlternatives";
import { SlotPicker, type TimeSlot } from "../components/booking/SlotPicker";
import { ErrorBox, Loading, SelectField, Stars, TextArea, TextField, VerifiedBadge } from "../components/ui";
import { newIdempotencyKey } from "../lib/idempotency";
import { formatDateTime, formatMoney, formatRange, viewerTimeZone } from "../lib/time";
import { useAsync } from "../lib/useAsync";
import { Avatar } from "../components/Avatar";
import { paths } from "../routes";

export function ExpertDetailPage() {
  const [search] = useSearchParams();
  const id = Number(search.get("expert"));
  const { user } = useAuth();
  const navigate = useNavigate();
  const expert = useAsync(
    () =>
      id > 0
        ? unwrap(api.GET("/api/v1/consultations/experts/{id}/", { params: { path: { id } } }))
        : Promise.reject(new Error("No expert was chosen.")),
    [id],
  );
  const [duration, setDuration] = useState<number | null>(null);
  const [slot, setSlot] = useState<TimeSlot | null>(null);
  const [topic, setTopic] = useState("");
  const [notes, setNotes] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [conflict, setConflict] = useState<{ message: string; alternatives: Alternative[] } | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [focusStart, setFocusStart] = useState<string | null>(null);
  const idemKey = useRef<string | null>(null);

  if (expert.loading && !expert.data) return <Loading label="Loading expert…" />;
  if (expert.error || !expert.data)
    return (
      <div className="page">
        <ErrorBox message={expert.error ?? "Expert not found."} onRetry={() => void expert.reload()} />
        <Link to={paths.experts}>← Back to experts</Link>
      </div>
    );
  const e = expert.data;
  const lengths = e.session_lengths.length ? e.session_lengths : [60];
  const chosenDuration = duration ?? lengths[0];
  const ownProfile = user?.roles.expert_id === e.id;

  function pick(next: TimeSlot | null) {
    setSlot(next);
    setConflict(null);
    setError(null);
    idemKey.current = null;
  }

  function pickAlternative(alt: Alternative) {
    setConflict(null);
    setFocusStart(alt.start);
    setSlot({ start: alt.start, end: alt.end } as TimeSlot);
    idemKey.current = null;
  }

  async function book(event: FormEvent) {
    event.preventDefault();
    if (!user) {
      navigate(`/login?next=${encodeURIComponent(paths.expert(id))}`);
      return;
    }
    if (!slot) {
      setError("Choose a time first.");
      return;
    }
    if (!topic.trim()) {
      setError(new ApiError(400, { error: { code: "required", message: "Tell the expert what it is about.", fields: { topic: ["Tell the expert what it is about."] } } }));
      return;
    }
    setBusy(true);
    setError(null);
    setConflict(null);
    idemKey.current ??= newIdempotencyKey();
    try {
      const booked = await unwrap(
        api.POST("/api/v1/consultations/consultations/book/", {
          params: { header: { "Idempotency-Key": idemKey.current } },
          body: {
            expert_id: id,
            start_at: slot.start,
            duration_minutes: chosenDuration,
            timezone: viewerTimeZone(),
            topic: topic.trim(),
            notes: notes.trim(),
          },
        }),
      );
      navigate(paths.consultation(booked.id), { state: { justBooked: true } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setConflict({ message: err.message, alternatives: alternativesOf(err.body) });
        setSlot(null);
        idemKey.current = null;
        setRefreshKey((k) => k + 1);
      } else if (err instanceof ApiError && err.status === 400 && alternativesOf(err.body).length) {
        setConflict({ message: err.message, alternatives: alternativesOf(err.body) });
        idemKey.current = null;
      } else if (err instanceof ApiError && err.status > 0) {
        setError(err);
        idemKey.current = null;
      } else {
        // Network failure: keep the key so pressing Book again cannot double-book.
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  }

  const apiError = error instanceof ApiError ? error : null;
  const generalError = typeof error === "string" ? error : apiError && !apiError.field("topic") && !apiError.field("notes") ? apiError.message : null;

  return (
    <div className="page">
      <p>
        <Link to={paths.experts}>← All experts</Link>
      </p>
      <div className="detail-layout">
        <section className="card" aria-labelledby="expert-name">
          <div className="profile-head">
            <Avatar name={e.name} url={e.avatar_url} size={72} />
            <div>
              <h1 id="expert-name">{e.name}</h1>
              {e.is_verified && <VerifiedBadge />}
              {e.headline && <p className="headline">{e.headline}</p>}
            </div>
          </div>
          <dl className="facts">
            <div>
              <dt>Price</dt>
              <dd>{formatMoney(e.hourly_rate, e.currency)} / hour</dd>
            </div>
            <div>
              <dt>Rating</dt>
              <dd>
                <Stars value={e.average_rating} count={e.review_count} />
              </dd>
            </div>
            <div>
              <dt>Languages</dt>
              <dd>{e.languages.join(", ") || "—"}</dd>
            </div>
            <div>
              <dt>Expert&apos;s time zone</dt>
              <dd>{e.timezone.replace(/_/g, " ")}</dd>
            </div>
            <div>
              <dt>Next free</dt>
              <dd>{e.next_available_at ? formatDateTime(e.next_available_at) : "No open slots"}</dd>
            </div>
            <div>
              <dt>Session lengths</dt>
              <dd>{lengths.map((l) => `${l} min`).join(", ")}</dd>
            </div>
          </dl>
          <ul className="tags" aria-label="Expertise">
            {e.expertise_areas.map((a) => (
              <li className="tag" key={a}>
                {a}
              </li>
            ))}
          </ul>
          {e.bio && <p className="bio">{e.bio}</p>}
          {user && !ownProfile && (
            <Link className="btn" to={paths.startChat(e.id)}>
              Message {e.name.split(" ")[0]}
            </Link>
          )}
        </section>

        <section className="card" aria-labelledby="book-heading">
          <h2 id="book-heading">Book a consultation</h2>
          {ownProfile ? (
            <p className="muted">This is your own profile; you cannot book yourself.</p>
          ) : (
            <form onSubmit={book} noValidate>
              <SelectField
                label="Length"
                name="duration"
                value={String(chosenDuration)}
                onChange={(ev) => {
                  setDuration(Number(ev.target.value));
                  pick(null);
                }}
              >
                {lengths.map((l) => (
                  <option key={l} value={l}>
                    {l} minutes · {formatMoney((Number(e.hourly_rate) * l) / 60, e.currency)}
                  </option>
                ))}
              </SelectField>
              <SlotPicker
                expertId={e.id}
                duration={chosenDuration}
                selected={slot}
                onSelect={pick}
                refreshKey={refreshKey}
                focusStart={focusStart}
                horizonDays={e.booking_horizon_days}
              />
              {conflict && <ConflictAlternatives message={conflict.message} alternatives={conflict.alternatives} onPick={pickAlternative} />}
              {slot && (
                <p className="alert alert-info" data-testid="selected-slot">
                  Selected: {formatRange(slot.start, slot.end ?? slot.start)}
                </p>
              )}
              <TextField label="Topic" name="topic" required maxLength={200} value={topic} onChange={(ev) => setTopic(ev.target.value)} error={apiError?.field("topic")} placeholder="What would you like to discuss?" />
              <TextArea label="Notes for the expert (optional)" name="notes" value={notes} onChange={(ev) => setNotes(ev.target.value)} error={apiError?.field("notes")} />
              <div className="alert alert-info" data-testid="booking-policy">
                <strong>Cancellation policy: {e.cancellation_policy.label}</strong>
                <ul>
                  {e.cancellation_policy.summary.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
                <span className="muted">This policy is fixed for your booking when you book.</span>
              </div>
              <ErrorBox message={generalError} />
              <button type="submit" className="btn btn-primary" disabled={busy || !slot}>
                {busy ? "Booking…" : user ? "Book this time" : "Sign in to book"}
              </button>
            </form>
          )}
        </section>
      </div>
    </div>
  );
}
