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

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from consultations import policies, signals
from consultations.models import Consultation, Expert
from consultations.services import scheduling
from consultations.services.jitsi import JitsiService
from consultations.services.payments import get_payment_provider
from project.api_errors import Conflict, NotAllowed, NotFound, ServiceError
from realtime.events import publish_to_user, publish_to_users

NO_OVERLAP_CONSTRAINT = "consultation_no_overlap"
MAX_REASON_LENGTH = 1000
MAX_REVIEW_LENGTH = 2000

BOOKING_CREATED = "booking.created"
BOOKING_CONFIRMED = "booking.confirmed"
BOOKING_CANCELLED = "booking.cancelled"
BOOKING_RESCHEDULED = "booking.rescheduled"

Status = Consultation.Status


# --------------------------------------------------------------------------- helpers


def event_payload(c: Consultation) -> dict[str, Any]:
    return {
        "id": c.pk,
        "status": c.status,
        "start_at": c.start_at.isoformat(),
        "end_at": c.end_at.isoformat(),
        "duration_minutes": c.duration_minutes,
        "topic": c.topic,
        "user_id": c.user_id,
        "user_name": c.user.get_full_name() or c.user.email,
        "expert_id": c.expert_id,
        "expert_name": c.expert.name,
        "expert_user_id": c.expert.user_id,
        "payment_status": c.payment_status,
        "rescheduled_from_id": c.rescheduled_from_id,
        "cancelled_by_id": c.cancelled_by_id,
        "cancellation_reason": c.cancellation_reason,
    }


def _on_commit_signal(signal: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send(sender=Consultation, **kwargs))


def _lock_expert(expert_id: int) -> Expert:
    try:
        return (
            Expert.objects.select_related("user").select_for_update(of=("self",)).get(pk=expert_id)
        )
    except Expert.DoesNotExist:
        raise ServiceError("No such expert.", field="expert_id", code="unknown_expert") from None


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


def _insert(consultation: Consultation, *, now: datetime) -> Consultation:
    """INSERT inside a savepoint; the exclusion constraint turns into a 409."""
    try:
        with transaction.atomic():
            consultation.save(force_insert=True)
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
    now: datetime | None = None,
) -> Consultation:
    now = now or timezone.now()
    try:
        return _book(user, expert_id, start_at, duration_minutes, topic, notes, now)
    except ServiceError as exc:
        # Suggestions are computed after the expert lock is released, so losers of a
        # race don't hold up everybody else while searching the calendar.
        scheduling.add_alternatives(exc, expert_id, start_at, duration_minutes, now)
        raise


def _book(
    user: User,
    expert_id: int,
    start_at: datetime,
    duration_minutes: int,
    topic: str,
    notes: str,
    now: datetime,
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
                price=quote.amount,
                currency=quote.currency,
                payment_status=provider.initial_status(quote),
                meeting_room_id=JitsiService.create_meeting_room(),
            ),
            now=now,
        )
        scheduling.refresh_next_available_at(
            expert, now=now, added=(consultation.start_at, consultation.blocked_start)
        )

        publish_to_user(expert.user_id, BOOKING_CREATED, event_payload(consultation))
        _on_commit_signal(signals.consultation_created, consultation=consultation)
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
    *, consultation_id: int, actor: User, reason: str = "", now: datetime | None = None
) -> tuple[Consultation, policies.RefundDecision]:
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", max_length=MAX_REASON_LENGTH)
    with transaction.atomic():
        expert, c = _lock_consultation(consultation_id, actor)
        by_expert = actor.pk == expert.user_id
        if by_expert and not reason:
            raise ServiceError("Tell the client why you cancel.", field="reason")
        if not c.can_be_cancelled(now):
            raise Conflict(_why_not_changeable(c, now, "cancelled"), code="invalid_state")
        decision = policies.refund_for_cancellation(c, by_expert=by_expert, now=now)
        old_status = c.status
        was_paid = c.payment_status == Consultation.PaymentStatus.PAID
        c.payment_status = get_payment_provider().settle_cancellation(c, decision)
        c.refund_amount = decision.amount if was_paid else Decimal("0.00")
        c.status = Status.CANCELLED
        c.cancelled_at = now
        c.cancelled_by = actor
        c.cancellation_reason = reason
        c.save(update_fields=list(Consultation.CANCELLATION_FIELDS))
        scheduling.refresh_next_available_at(expert, now=now)

        payload = event_payload(c) | {
            "full_refund": decision.full_refund,
            "refund_amount": str(c.refund_amount),
        }
        publish_to_users(c.participant_ids, BOOKING_CANCELLED, payload)
        _on_commit_signal(
            signals.consultation_status_changed,
            consultation=c,
            old_status=old_status,
            new_status=Status.CANCELLED,
            actor=actor,
            change="cancelled",
        )
    return c, decision


def _why_not_changeable(c: Consultation, now: datetime, verb: str) -> str:
    if c.status not in Consultation.ACTIVE_STATUSES:
        return f"This consultation is {c.get_status_display().lower()} and cannot be {verb}."
    if c.start_at <= now:
        return f"This consultation has already started and cannot be {verb}."
    return (
        f"A consultation can be {verb} by the client only up to "
        f"{int(policies.USER_RESCHEDULE_NOTICE.total_seconds() // 3600)} hours before it starts."
    )


# --------------------------------------------------------------------------- reschedule


def reschedule_consultation(
    *,
    consultation_id: int,
    actor: User,
    start_at: datetime,
    reason: str = "",
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
        return _reschedule(consultation_id, actor, start_at, reason, now)
    except ServiceError as exc:
        old = Consultation.objects.filter(pk=consultation_id).first()
        if old is not None:
            scheduling.add_alternatives(exc, old.expert_id, start_at, old.duration_minutes, now)
        raise


def _reschedule(
    consultation_id: int, actor: User, start_at: datetime, reason: str, now: datetime
) -> Consultation:
    with transaction.atomic():
        expert, old = _lock_consultation(consultation_id, actor)
        by_expert = actor.pk == expert.user_id
        if not old.can_be_rescheduled(by=actor, now=now):
            raise Conflict(_why_not_changeable(old, now, "rescheduled"), code="invalid_state")
        if start_at == old.start_at:
            raise ServiceError("Pick a different time.", field="start_at", code="same_time")
        if expert.verification_status != Expert.VerificationStatus.APPROVED:
            raise ServiceError(
                "This expert is not taking bookings.", field="start_at", code="expert_not_approved"
            )
        minutes = old.duration_minutes
        old_status = old.status

        # Free the old slot first, so a move by less than the session length still fits.
        old.status = Status.CANCELLED
        old.cancelled_at = now
        old.cancelled_by = actor
        old.cancellation_reason = reason or "Rescheduled."
        paid_status = old.payment_status
        old.payment_status = Consultation.PaymentStatus.NOT_REQUIRED  # moved to the new booking
        old.refund_amount = Decimal("0.00")
        old.save(update_fields=list(Consultation.CANCELLATION_FIELDS))

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
                meeting_room_id=JitsiService.create_meeting_room(),
                rescheduled_from=old,
            ),
            now=now,
        )
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
    now = now or timezone.now()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ServiceError("Rate from 1 to 5.", field="rating")
    review = _clean_text(review, field="review", max_length=MAX_REVIEW_LENGTH)
    with transaction.atomic():
        expert, c = _lock_consultation(consultation_id, actor)
        if actor.pk != c.user_id:
            raise NotAllowed("Only the client can rate a consultation.")
        if c.status != Status.COMPLETED:
            raise Conflict(
                "You can rate a consultation once it is completed.", code="invalid_state"
            )
        if c.rating is not None:
            raise Conflict("You have already rated this consultation.", code="already_rated")
        c.rating = rating
        c.review = review
        c.rated_at = now
        c.save(update_fields=["rating", "review", "rated_at", "updated_at"])
        # Recomputed from the rows under the expert lock: concurrent ratings can't lose one.
        agg = Consultation.objects.filter(expert=expert, rating__isnull=False).aggregate(
            avg=Avg("rating"), n=Count("pk")
        )
        expert.average_rating = Decimal(str(agg["avg"] or 0)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        expert.review_count = agg["n"]
        expert.save(update_fields=["average_rating", "review_count", "updated_at"])
    return c
