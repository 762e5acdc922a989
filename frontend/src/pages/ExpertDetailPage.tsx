import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { ApiError } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { Avatar } from "../components/Avatar";
import { ConflictAlternatives } from "../components/booking/ConflictAlternatives";
import { ReliabilityPanel } from "../components/reliability/ReliabilityPanel";
import { ExpertReviews } from "../components/reviews/ExpertReviews";
import { groupSlotsByDay, longDay, SlotPicker, TimeDisplayControls, type TimeSlot } from "../components/booking/SlotPicker";
import { ErrorBox, Loading, Stars, TextArea, TextField, VerifiedBadge } from "../components/ui";
import { useBooking } from "../features/booking/useBooking";
import { languageList } from "../lib/languages";
import { priceLabel, sessionPrice } from "../lib/money";
import { loadCurrencies, preferredDisplayCurrency } from "../lib/currency";
import { formatDate, formatMoney } from "../lib/time";
import { useAsync } from "../lib/useAsync";
import { clockTime, preferredClock, rememberClock, rememberTimeZone, zoneWithOffset, type ClockPref } from "../lib/zones";
import { paths } from "../routes";
import styles from "./ExpertDetailPage.module.css";

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
      <div className={`${styles.detailLayout} ${styles.bookingLayout}`}>
        <section className="card" aria-labelledby="expert-name">
          <div className={styles.profileHead}>
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
  const booking = useBooking(e);
  const { lengths, duration, topic, notes, setNotes, tz, day, slot, step, pick, pickAlternative, busy, error, conflict, refreshKey, focusStart } = booking;
  const [clock, setClock] = useState<ClockPref>(() => preferredClock());
  const stepHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (step === "confirm") stepHeading.current?.focus();
  }, [step]);

  function book(event: FormEvent) {
    event.preventDefault();
    void booking.book();
  }

  const apiError = error instanceof ApiError ? error : null;
  const generalError = typeof error === "string" ? error : apiError && !apiError.field("topic") && !apiError.field("notes") ? apiError.message : null;
  const price = sessionPrice(e.hourly_rate, duration);
  const firstName = e.name.replace(/^Dr\.\s+/, "").split(" ")[0];

  return (
    <>
      <ol className={styles.bookingSteps} aria-label="Steps">
        <li aria-current={step === "pick" ? "step" : undefined}>1. Choose a time</li>
        <li aria-hidden="true">›</li>
        <li aria-current={step === "confirm" ? "step" : undefined}>2. Confirm</li>
      </ol>
      <fieldset className={styles.lengthChoice}>
        <legend>Length</legend>
        <div className={styles.options}>
          {lengths.map((l) => (
            <label key={l}>
              <input
                type="radio"
                name="length"
                value={l}
                checked={l === duration}
                onChange={() => booking.chooseLength(l)}
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
              booking.chooseZone(z);
              rememberTimeZone(z);
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
            onDayChange={booking.chooseDay}
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
            <div className={styles.bookingSummary} data-testid="selected-slot">
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
            onChange={(ev) => booking.setTopic(ev.target.value)}
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
