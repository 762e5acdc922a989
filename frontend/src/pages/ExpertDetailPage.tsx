import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { ApiError, errorMessage } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { Avatar } from "../components/Avatar";
import { alternativesOf, ConflictAlternatives, type Alternative } from "../components/booking/ConflictAlternatives";
import { ReliabilityPanel } from "../components/reliability/ReliabilityPanel";
import { ExpertReviews } from "../components/reviews/ExpertReviews";
import { groupSlotsByDay, longDay, SlotPicker, TimeDisplayControls, type TimeSlot } from "../components/booking/SlotPicker";
import { ErrorBox, Loading, Stars, TextArea, TextField, VerifiedBadge } from "../components/ui";
import { newIdempotencyKey } from "../lib/idempotency";
import { languageList } from "../lib/languages";
import { priceLabel, sessionPrice } from "../lib/money";
import { useStoredState } from "../lib/stored";
import { loadCurrencies, preferredDisplayCurrency } from "../lib/currency";
import { formatDate, formatMoney } from "../lib/time";
import { useAsync } from "../lib/useAsync";
import { clockTime, preferredClock, preferredTimeZone, rememberClock, rememberTimeZone, zoneWithOffset, type ClockPref } from "../lib/zones";
import { paths } from "../routes";

type Expert = Schemas["ExpertDetail"];

/**
 * The booking page. Everything chosen lives in the URL (expert, length, day, slot, topic), so
 * a reload, a shared link or the sign-in round trip comes back to the same step; the notes
 * are kept in localStorage.
 */
export function ExpertDetailPage() {
  const profileCurrency = useAuth().user?.currency ?? null;
  const [search] = useSearchParams();
  const id = Number(search.get("expert"));
  const expert = useAsync(
    () =>
      id > 0
        ? loadCurrencies()
            // The "≈" price is a nicety: without the currency list the page still loads.
            .then((c) => preferredDisplayCurrency(c.currencies.map((x) => x.code), profileCurrency), () => undefined)
            .then((display_currency) =>
              unwrap(api.GET("/api/v1/consultations/experts/{id}/", { params: { path: { id }, query: { display_currency } } })),
            )
        : Promise.reject(new Error("No expert was chosen.")),
    [id, profileCurrency],
  );

  if (expert.loading && !expert.data) return <Loading label="Loading expert…" />;
  if (expert.error || !expert.data)
    return (
      <div className="page">
        <ErrorBox message={expert.error ?? "Expert not found."} onRetry={() => void expert.reload()} />
        <Link to={paths.experts}>← Back to experts</Link>
      </div>
    );
  return <ExpertBooking expert={expert.data} />;
}

function ExpertBooking({ expert: e }: { expert: Expert }) {
  const { user } = useAuth();
  const ownProfile = user?.roles.expert_id === e.id;
  return (
    <div className="page">
      <p>
        <Link to={paths.experts}>← All experts</Link>
      </p>
      <div className="detail-layout booking-layout">
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
              <dd>
                {formatMoney(e.hourly_rate, e.currency)} / hour
                {e.converted_hourly_rate && e.converted_currency && (
                  <small className="muted converted" title="Approximate conversion; you pay in the expert's currency">
                    ≈ {formatMoney(e.converted_hourly_rate, e.converted_currency, { whole: true })}
                  </small>
                )}
              </dd>
            </div>
            <div>
              <dt>Rating</dt>
              <dd>
                <Stars value={e.average_rating} count={e.review_count} />
              </dd>
            </div>
            <div>
              <dt>Speaks</dt>
              <dd>{languageList(e.languages) || "—"}</dd>
            </div>
            <div>
              <dt>Based in</dt>
              <dd>{e.timezone.replace(/_/g, " ")} time</dd>
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
          <ReliabilityPanel reliability={e.reliability} />
          {user && !ownProfile && (
            <Link className="btn" to={paths.startChat(e.id)}>
              Message {e.name.split(" ")[0]}
            </Link>
          )}
        </section>

        <section className="card" aria-labelledby="book-heading">
          <h2 id="book-heading">Book a consultation</h2>
          {ownProfile ? <p className="muted">This is your own profile; you cannot book yourself.</p> : <BookingFlow expert={e} />}
        </section>
        <ExpertReviews expertId={e.id} expertName={e.name} average={e.average_rating} count={e.review_count} />
      </div>
    </div>
  );
}

function BookingFlow({ expert: e }: { expert: Expert }) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [search, setSearch] = useSearchParams();
  const lengths = e.session_lengths.length ? e.session_lengths : [60];
  // Inputs keep their own state (typing must never wait for a router transition) and mirror
  // it into the URL, which is where they start from after a reload or the sign-in round trip.
  const askedLength = Number(search.get("length"));
  const [duration, setDuration] = useState(() => (lengths.includes(askedLength) ? askedLength : lengths[0]));
  const [topic, setTopic] = useState(() => search.get("topic") ?? "");
  const slotStart = search.get("slot");
  const day = search.get("date");

  const [tz, setTz] = useState(() => preferredTimeZone());
  const [clock, setClock] = useState<ClockPref>(() => preferredClock());
  const [notes, setNotes, clearNotes] = useStoredState(`booking-notes:${e.id}`, "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [conflict, setConflict] = useState<{ message: string; alternatives: Alternative[] } | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [focusStart, setFocusStart] = useState<string | null>(null);
  const idemKey = useRef<string | null>(null);
  const stepHeading = useRef<HTMLHeadingElement>(null);

  // The profile's zone (known once signed in) wins over the browser's, unless one was chosen here.
  useEffect(() => {
    setTz(preferredTimeZone());
  }, [user]);

  const slot = useMemo<{ start: string; end: string } | null>(() => {
    if (!slotStart || Number.isNaN(Date.parse(slotStart))) return null;
    return { start: slotStart, end: new Date(Date.parse(slotStart) + duration * 60_000).toISOString() };
  }, [slotStart, duration]);
  const step: "pick" | "confirm" = slot || conflict ? "confirm" : "pick";

  useEffect(() => {
    if (step === "confirm") stepHeading.current?.focus();
  }, [step]);

  // Built from the address bar, not from this render's params: two changes in one tick
  // (a length click and the calendar choosing a day) must both land.
  function update(changes: Record<string, string | null>, replace = true) {
    const next = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === "") next.delete(k);
      else next.set(k, v);
    }
    setSearch(next, { replace });
  }

  function pick(next: TimeSlot | null) {
    setConflict(null);
    setError(null);
    idemKey.current = null;
    if (next) {
      const key = groupSlotsByDay([next], tz).keys().next().value as string;
      // A new history entry, so the browser's Back returns to the calendar.
      update({ slot: next.start, date: key }, false);
    } else update({ slot: null });
  }

  // The conflict box stays until the new slot is in the URL, so the step never flips back to the calendar.
  useEffect(() => {
    if (slotStart) setConflict(null);
  }, [slotStart]);

  function pickAlternative(alt: Alternative) {
    setFocusStart(alt.start);
    idemKey.current = null;
    update({ slot: alt.start, date: groupSlotsByDay([{ start: alt.start } as TimeSlot], tz).keys().next().value as string });
  }

  async function book(event: FormEvent) {
    event.preventDefault();
    if (!user) {
      navigate(`${paths.login}?next=${encodeURIComponent(location.pathname + location.search)}`);
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
            expert_id: e.id,
            start_at: slot.start,
            duration_minutes: duration,
            timezone: tz,
            topic: topic.trim(),
            notes: notes.trim(),
          },
        }),
      );
      clearNotes();
      navigate(paths.consultation(booked.id), { state: { justBooked: true } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setConflict({ message: err.message, alternatives: alternativesOf(err.body) });
        update({ slot: null });
        idemKey.current = null;
        setRefreshKey((k) => k + 1);
      } else if (err instanceof ApiError && err.status === 400 && alternativesOf(err.body).length) {
        setConflict({ message: err.message, alternatives: alternativesOf(err.body) });
        update({ slot: null });
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
  const price = sessionPrice(e.hourly_rate, duration);
  const firstName = e.name.replace(/^Dr\.\s+/, "").split(" ")[0];

  return (
    <>
      <ol className="booking-steps" aria-label="Steps">
        <li aria-current={step === "pick" ? "step" : undefined}>1. Choose a time</li>
        <li aria-hidden="true">›</li>
        <li aria-current={step === "confirm" ? "step" : undefined}>2. Confirm</li>
      </ol>
      <fieldset className="length-choice">
        <legend>Length</legend>
        <div className="options">
          {lengths.map((l) => (
            <label key={l}>
              <input
                type="radio"
                name="length"
                value={l}
                checked={l === duration}
                onChange={() => {
                  setConflict(null);
                  setDuration(l);
                  update({ length: String(l), slot: null });
                }}
              />
              {l} min · {priceLabel(sessionPrice(e.hourly_rate, l), e.currency)}
            </label>
          ))}
        </div>
      </fieldset>

      {step === "pick" ? (
        <>
          <TimeDisplayControls
            timeZone={tz}
            onTimeZone={(z) => {
              setTz(z);
              rememberTimeZone(z);
              update({ date: null });
            }}
            clock={clock}
            onClock={(c) => {
              setClock(c);
              rememberClock(c);
            }}
          />
          <SlotPicker
            key={tz}
            expertId={e.id}
            duration={duration}
            selected={slot ? ({ start: slot.start } as TimeSlot) : null}
            onSelect={pick}
            timeZone={tz}
            clock={clock}
            day={day}
            onDayChange={(d) => update({ date: d })}
            refreshKey={refreshKey}
            focusStart={focusStart}
            nextAvailableAt={e.next_available_at}
            horizonDays={e.booking_horizon_days}
          />
          {!e.next_available_at && (
            <p className="muted">
              {firstName} has no free times in the next {e.booking_horizon_days} days.{" "}
              {user && <Link to={paths.startChat(e.id)}>Send a message</Link>}
            </p>
          )}
        </>
      ) : (
        <form onSubmit={book} noValidate>
          <h3 ref={stepHeading} tabIndex={-1} className="visually-hidden">
            Confirm your booking
          </h3>
          {conflict && <ConflictAlternatives message={conflict.message} alternatives={conflict.alternatives} onPick={pickAlternative} />}
          {slot && (
            <div className="booking-summary" data-testid="selected-slot">
              <dl>
                <dt>When</dt>
                <dd>
                  <strong>
                    {longDay(groupSlotsByDay([{ start: slot.start } as TimeSlot], tz).keys().next().value as string)},{" "}
                    {clockTime(slot.start, tz, clock)}–{clockTime(slot.end, tz, clock)}
                  </strong>
                  <br />
                  <span className="muted">{zoneWithOffset(tz, new Date(slot.start))}</span>
                </dd>
                {e.timezone !== tz && (
                  <>
                    <dt>For {firstName}</dt>
                    <dd>
                      {formatDate(slot.start, e.timezone)}, {clockTime(slot.start, e.timezone, clock)}–{clockTime(slot.end, e.timezone, clock)}{" "}
                      <span className="muted">({zoneWithOffset(e.timezone, new Date(slot.start))})</span>
                    </dd>
                  </>
                )}
                <dt>Length</dt>
                <dd>{duration} minutes, video call in the browser</dd>
                <dt>Price</dt>
                <dd>
                  {price > 0 ? (
                    <>
                      {formatMoney(price, e.currency)} <span className="muted">— paid to {firstName} directly; Consult does not charge your card.</span>
                    </>
                  ) : (
                    "Free"
                  )}
                </dd>
              </dl>
              <button type="button" className="btn btn-small" style={{ marginTop: "0.75rem" }} onClick={() => pick(null)}>
                ← Change time
              </button>
            </div>
          )}
          <TextField
            label="Topic"
            name="topic"
            required
            maxLength={200}
            value={topic}
            onChange={(ev) => {
              setTopic(ev.target.value);
              update({ topic: ev.target.value });
            }}
            error={apiError?.field("topic")}
            placeholder="What would you like to discuss?"
          />
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
          {!user && <p className="muted">You will come back to this step after signing in; nothing you chose is lost.</p>}
          {slot && <p className="muted">{firstName} confirms each request; the page of your booking updates by itself and you get an email.</p>}
        </form>
      )}
    </>
  );
}
