"""The booking lifecycle: book, confirm, cancel, reschedule, rate.

Locking order, everywhere: the Expert row first (select_for_update), then the
Consultation row. One lock per expert serialises every change to that expert's calendar,
so the per-day limit and the Python checks see the winner of any race; the PostgreSQL
exclusion constraint `consultation_no_overlap` stays the last word on overlaps even for
writers that skip this module.

Live events (realtime.events) and domain signals (consultations.signals) go out only
after the transaction commits.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from psycopg.errors import DeadlockDetected

from consultations import policies, signals
from consultations.models import BookingAuditLog, Consultation, Expert
from consultations.policies import Cause
from consultations.services import announce, cancellation, ledger, reviews, scheduling
from consultations.services.jitsi import JitsiService
from consultations.services.payloads import event_payload
from consultations.services.payments import get_payment_provider
from project.api_errors import Conflict, NotAllowed, NotFound, ServiceError
from project.compiled import ID_PLACEHOLDER, CompiledInsert, CompiledRead
from realtime.events import publish_to_user, publish_to_users

NO_OVERLAP_CONSTRAINT = "consultation_no_overlap"
MAX_REASON_LENGTH = 1000

BOOKING_CREATED = "booking.created"
BOOKING_CONFIRMED = "booking.confirmed"
BOOKING_CANCELLED = "booking.cancelled"
BOOKING_RESCHEDULED = "booking.rescheduled"
BOOKING_POLICY_WAIVED = "booking.policy_waived"

Status = Consultation.Status


# --------------------------------------------------------------------------- helpers


def _on_commit_signal(signal: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send(sender=Consultation, **kwargs))


# Compiled once per process (project/compiled.py): compiling the Expert row's 30-odd
# columns cost more CPU than locking it.
_EXPERT_FOR_UPDATE = CompiledRead(
    lambda pk: Expert.objects.select_for_update().filter(pk=pk).order_by(), ID_PLACEHOLDER
)


def _lock_expert(expert_id: int) -> Expert:
    """The Expert row only: no caller reads the expert's user beyond `user_id`, and the
    join to it cost about a tenth of a booking request's CPU in query compilation and row
    building (cProfile, issue 12)."""
    expert = _EXPERT_FOR_UPDATE.first(expert_id)
    if expert is None:
        raise ServiceError("No such expert.", field="expert_id", code="unknown_expert")
    return expert


def _lock_consultation(consultation_id: int, actor: User) -> tuple[Expert, Consultation]:
    """Lock the expert, then the consultation; 404 unless `actor` takes part in it."""
    expert_id = (
        Consultation.objects.filter(pk=consultation_id).values_list("expert_id", flat=True).first()
    )
    if expert_id is None:
        raise NotFound("No such consultation.")
    expert = _lock_expert(expert_id)
    c = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("user", "expert", "expert__user")
        .get(pk=consultation_id)
    )
    if actor.pk not in (c.user_id, expert.user_id):
        raise NotFound("No such consultation.")
    return expert, c


# Compiled once per process (project/compiled.py): building the 30-column INSERT cost more
# CPU than running it.
_INSERT: CompiledInsert[Consultation] = CompiledInsert(Consultation)


def _insert(consultation: Consultation, *, now: datetime) -> Consultation:
    """INSERT; the exclusion constraint turns into a 409.

    No savepoint (two statements per booking): a refused insert always ends the caller's
    transaction, since the 409 leaves the outer atomic block and rolls it all back. Django
    marks the transaction for rollback, so nothing can run on in the failed transaction.
    """
    try:
        with transaction.atomic(savepoint=False):
            _INSERT.insert(consultation)
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) == NO_OVERLAP_CONSTRAINT:
            raise scheduling.slot_taken(
                consultation.expert,
                consultation.start_at,
                consultation.duration_minutes,
                now,
                alternatives=False,
            ) from exc
        raise
    return consultation


def _clean_text(value: str | None, *, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ServiceError(f"At most {max_length} characters.", field=field)
    return text


def _require_aware(value: datetime, field: str) -> None:
    if timezone.is_naive(value):
        raise ServiceError("Include a UTC offset (or send a time zone).", field=field)


# --------------------------------------------------------------------------- book


def book_consultation(
    *,
    user: User,
    expert_id: int,
    start_at: datetime,
    duration_minutes: int,
    topic: str,
    notes: str = "",
    client_timezone: str = "",
    now: datetime | None = None,
) -> Consultation:
    now = now or timezone.now()
    try:
        return _book_retrying_deadlocks(
            user, expert_id, start_at, duration_minutes, topic, notes, now, client_timezone
        )
    except ServiceError as exc:
        # Suggestions are computed after the expert lock is released, so losers of a
        # race don't hold up everybody else while searching the calendar.
        scheduling.add_alternatives(exc, expert_id, start_at, duration_minutes, now)
        raise


# Tries of a booking that PostgreSQL chose as a deadlock's victim.
_DEADLOCK_TRIES = 5


def _book_retrying_deadlocks(*args: Any) -> Consultation:
    """`_book`, run again when PostgreSQL broke a deadlock by aborting it.

    The expert lock serializes bookings of one expert, so the exclusion constraint never
    waits on another booking in flight. Where it does (a path that writes bookings without
    that lock, or the constraint left alone to decide, as a test does), two inserts of
    overlapping times each wait for the other's transaction while checking the constraint,
    and PostgreSQL aborts one with "deadlock detected": a 500 for that client. Run again,
    the victim finds the winner committed and gets the 409 (or the slot, if the winner
    rolled back). Only as the outermost transaction: inside a caller's, its work is gone.
    """
    for attempt in range(1, _DEADLOCK_TRIES + 1):
        try:
            return _book(*args)
        except OperationalError as exc:
            victim = isinstance(exc.__cause__, DeadlockDetected)
            if not victim or attempt == _DEADLOCK_TRIES or connection.in_atomic_block:
                raise
            # A little apart, so the victims of one pile-up don't collide again at once.
            time.sleep(random.uniform(0.002, 0.02) * attempt)
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _book(
    user: User,
    expert_id: int,
    start_at: datetime,
    duration_minutes: int,
    topic: str,
    notes: str,
    now: datetime,
    client_timezone: str = "",
) -> Consultation:
    _require_aware(start_at, "start_at")
    topic = _clean_text(topic, field="topic", max_length=200)
    if not topic:
        raise ServiceError("Say briefly what the session is about.", field="topic")
    notes = _clean_text(notes, field="notes", max_length=5000)
    provider = get_payment_provider()

    with transaction.atomic():
        expert = _lock_expert(expert_id)
        if expert.verification_status != Expert.VerificationStatus.APPROVED:
            raise ServiceError(
                "This expert is not taking bookings.", field="expert_id", code="expert_not_approved"
            )
        if expert.user_id == user.pk:
            raise ServiceError("You cannot book yourself.", field="expert_id", code="self_booking")
        scheduling.ensure_bookable(expert, start_at, duration_minutes, now=now, alternatives=False)

        end_at = start_at + timedelta(minutes=duration_minutes)
        blocked_start, blocked_end = scheduling.blocked_interval(expert, start_at, end_at)
        quote = provider.quote(expert, duration_minutes)
        consultation = _insert(
            Consultation(
                user=user,
                expert=expert,
                start_at=start_at,
                end_at=end_at,
                blocked_start=blocked_start,
                blocked_end=blocked_end,
                topic=topic,
                notes=notes,
                status=Status.PENDING,
                client_timezone=client_timezone,
                price=quote.amount,
                currency=quote.currency,
                payment_status=provider.initial_status(quote),
                meeting_room_id=JitsiService.create_meeting_room(),
                policy=policies.snapshot_for_expert(expert),
            ),
            now=now,
        )
        ledger.record_booking(consultation, now)
        scheduling.refresh_next_available_at(
            expert, now=now, added=(consultation.start_at, consultation.blocked_start)
        )

        publish_to_user(expert.user_id, BOOKING_CREATED, event_payload(consultation))
        # The notification, emails and webhooks run in a Celery worker (services.announce).
        announce.created_on_commit(consultation)
    return consultation


# --------------------------------------------------------------------------- confirm


def confirm_consultation(
    *, consultation_id: int, actor: User, now: datetime | None = None
) -> Consultation:
    now = now or timezone.now()
    with transaction.atomic():
        expert, c = _lock_consultation(consultation_id, actor)
        if actor.pk != expert.user_id:
            raise NotAllowed("Only the expert can confirm a consultation.")
        if c.status != Status.PENDING:
            raise Conflict(
                f"Only a pending consultation can be confirmed (this one is {c.status}).",
                code="invalid_state",
            )
        if c.start_at <= now:
            raise Conflict("This consultation's time has passed.", code="invalid_state")
        c.status = Status.CONFIRMED
        c.confirmed_at = now
        c.save(update_fields=["status", "confirmed_at", "updated_at"])

        publish_to_users(c.participant_ids, BOOKING_CONFIRMED, event_payload(c))
        _on_commit_signal(
            signals.consultation_status_changed,
            consultation=c,
            old_status=Status.PENDING,
            new_status=Status.CONFIRMED,
            actor=actor,
            change="confirmed",
        )
    return c


# --------------------------------------------------------------------------- cancel


def cancel_consultation(
    *,
    consultation_id: int,
    actor: User,
    reason: str = "",
    accept_refund_percent: int | None = None,
    reader_zone: str | None = None,
    now: datetime | None = None,
) -> tuple[Consultation, policies.RefundDecision]:
    """Cancel for the client or the expert, through the one cancellation path.

    A client whose cancellation would keep part of the price must say which refund they
    accept (`accept_refund_percent`, as shown to them); without it, or when the refund has
    dropped below it since (a cut-off passed while the page was open), the answer is a 409
    naming the rule and the cut-off in the reader's zone, and nothing changes.
    """
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", max_length=MAX_REASON_LENGTH)
    with transaction.atomic():
        expert, c = _lock_consultation(consultation_id, actor)
        by_expert = actor.pk == expert.user_id
        if by_expert and not reason:
            raise ServiceError("Tell the client why you cancel.", field="reason")
        if not c.can_be_cancelled(now):
            raise Conflict(_why_not_changeable(c, now, "cancelled"), code="invalid_state")
        cause = Cause.EXPERT if by_expert else Cause.CLIENT
        decision = policies.decide(c, cause, now)
        if decision.amount < c.price and (
            accept_refund_percent is None or decision.percent < accept_refund_percent
        ):
            raise _fee_conflict(c, decision, reader_zone)
        cancellation.settle(c, cause=cause, actor=actor, reason=reason, now=now, decision=decision)
        scheduling.refresh_next_available_at(expert, now=now)
    return c, decision


def _fee_conflict(
    c: Consultation, decision: policies.RefundDecision, reader_zone: str | None
) -> Conflict:
    until = decision.full_refund_until
    extra: dict[str, Any] = {
        "refund_percent": decision.percent,
        "refund_amount": str(decision.amount),
        "currency": c.currency,
        "cutoff_at": until.isoformat() if until else None,
        "cutoff_display": policies.format_instant(until, reader_zone) if until else None,
    }
    when = f" A full refund was possible until {extra['cutoff_display']}." if until else ""
    return Conflict(
        f"{decision.reason}{when} To cancel anyway, confirm the "
        f"{decision.percent} % refund (accept_refund_percent={decision.percent}).",
        code="policy_fee",
        extra=extra,
    )


def _why_not_changeable(c: Consultation, now: datetime, verb: str) -> str:
    if c.status not in Consultation.ACTIVE_STATUSES:
        return f"This consultation is {c.get_status_display().lower()} and cannot be {verb}."
    return f"This consultation has already started and cannot be {verb}."


def _refusal_conflict(refusal: policies.Refusal, reader_zone: str | None) -> Conflict:
    extra: dict[str, Any] = {}
    message = refusal.message
    if refusal.cutoff_at is not None:
        shown = policies.format_instant(refusal.cutoff_at, reader_zone)
        extra = {"cutoff_at": refusal.cutoff_at.isoformat(), "cutoff_display": shown}
        message = f"{message} That was {shown}."
    return Conflict(message, code=refusal.code, extra=extra)


# --------------------------------------------------------------------------- waive


def waive_policy(
    *, consultation_id: int, actor: User, reason: str = "", now: datetime | None = None
) -> Consultation:
    """The expert sets the policy aside for one booking: full refund, moves allowed.

    Recorded on the booking and in the audit log; announced to both.
    """
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", max_length=MAX_REASON_LENGTH)
    with transaction.atomic():
        expert, c = _lock_consultation(consultation_id, actor)
        if actor.pk != expert.user_id:
            raise NotAllowed("Only the expert can waive their policy.", code="not_expert")
        if c.status not in Consultation.ACTIVE_STATUSES:
            raise Conflict(
                f"This consultation is {c.get_status_display().lower()}: there is nothing "
                "left to waive.",
                code="invalid_state",
            )
        if c.policy_waived_at is not None:
            raise Conflict("The policy is already waived for this booking.", code="already_waived")
        c.policy_waived_at = now
        c.policy_waived_by = actor
        c.policy_waiver_reason = reason
        c.save(
            update_fields=[
                "policy_waived_at",
                "policy_waived_by",
                "policy_waiver_reason",
                "updated_at",
            ]
        )
        BookingAuditLog.objects.create(
            consultation=c,
            expert=expert,
            actor=actor,
            action="policy_waived",
            details={"reason": reason, "policy": c.policy},
        )
        publish_to_users(c.participant_ids, BOOKING_POLICY_WAIVED, event_payload(c))
    return c


# --------------------------------------------------------------------------- reschedule


def reschedule_consultation(
    *,
    consultation_id: int,
    actor: User,
    start_at: datetime,
    reason: str = "",
    reader_zone: str | None = None,
    now: datetime | None = None,
) -> Consultation:
    """Cancel the old booking and create its replacement, all or nothing.

    The new booking keeps length, topic, price and payment; it is confirmed when the
    expert moved it, pending (awaiting the expert) when the client did.
    """
    now = now or timezone.now()
    _require_aware(start_at, "start_at")
    reason = _clean_text(reason, field="reason", max_length=MAX_REASON_LENGTH)
    try:
        return _reschedule(consultation_id, actor, start_at, reason, reader_zone, now)
    except ServiceError as exc:
        old = Consultation.objects.filter(pk=consultation_id).first()
        if old is not None:
            scheduling.add_alternatives(exc, old.expert_id, start_at, old.duration_minutes, now)
        raise


def _reschedule(
    consultation_id: int,
    actor: User,
    start_at: datetime,
    reason: str,
    reader_zone: str | None,
    now: datetime,
) -> Consultation:
    with transaction.atomic():
        expert, old = _lock_consultation(consultation_id, actor)
        by_expert = actor.pk == expert.user_id
        refusal = policies.reschedule_refusal(old, by=actor, now=now)
        if refusal is not None:
            raise _refusal_conflict(refusal, reader_zone)
        if start_at == old.start_at:
            raise ServiceError("Pick a different time.", field="start_at", code="same_time")
        if expert.verification_status != Expert.VerificationStatus.APPROVED:
            raise ServiceError(
                "This expert is not taking bookings.", field="start_at", code="expert_not_approved"
            )
        minutes = old.duration_minutes
        old_status = old.status

        # Free the old slot first, so a move by less than the session length still fits.
        paid_status = old.payment_status
        cancellation.settle(
            old, cause=Cause.RESCHEDULED, actor=actor, reason=reason, now=now, announce=False
        )

        scheduling.ensure_bookable(expert, start_at, minutes, now=now, alternatives=False)
        end_at = start_at + timedelta(minutes=minutes)
        blocked_start, blocked_end = scheduling.blocked_interval(expert, start_at, end_at)
        new = _insert(
            Consultation(
                user=old.user,
                expert=expert,
                start_at=start_at,
                end_at=end_at,
                blocked_start=blocked_start,
                blocked_end=blocked_end,
                topic=old.topic,
                notes=old.notes,
                status=Status.CONFIRMED if by_expert else Status.PENDING,
                confirmed_at=now if by_expert else None,
                price=old.price,
                currency=old.currency,
                payment_status=paid_status,
                client_timezone=old.client_timezone,
                meeting_room_id=JitsiService.create_meeting_room(),
                rescheduled_from=old,
                # The policy agreed at booking time stays; client moves count against it.
                policy=old.policy,
                reschedule_count=old.reschedule_count + (0 if by_expert else 1),
                policy_waived_at=old.policy_waived_at,
                policy_waived_by=old.policy_waived_by,
                policy_waiver_reason=old.policy_waiver_reason,
            ),
            now=now,
        )
        ledger.record_move(old, new, now)
        ledger.record_booking(new, now)
        scheduling.refresh_next_available_at(expert, now=now)

        payload = event_payload(new) | {"previous": event_payload(old)}
        publish_to_users(new.participant_ids, BOOKING_RESCHEDULED, payload)
        _on_commit_signal(
            signals.consultation_status_changed,
            consultation=new,
            old_status=old_status,
            new_status=new.status,
            actor=actor,
            change="rescheduled",
        )
    return new


# --------------------------------------------------------------------------- rate


def rate_consultation(
    *, consultation_id: int, actor: User, rating: int, review: str = "", now: datetime | None = None
) -> Consultation:
    """The old `rate/` endpoint's service: a review by another name (services.reviews)."""
    posted = reviews.post_review(
        consultation_id=consultation_id, actor=actor, rating=rating, text=review, now=now
    )
    return posted.consultation
