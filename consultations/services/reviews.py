"""Reviews: the client's one review of a completed consultation, the expert's public reply,
staff hiding (audit-logged).

The expert's `rating_sum`, `review_count` and `average_rating` count visible reviews and
change in the same transaction as the review, through one conditional UPDATE with F()
expressions: PostgreSQL computes every SET from the row it locked, so concurrent posts,
hides and restores for one expert each see the previous one's result and none is lost,
without reading the totals into Python first.

Locks: a post takes only the review's unique index entry and then the expert row; hide and
restore lock the review row, then the expert row. The booking services lock the expert
first and never a review, so no cycle is possible.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Value, When
from django.db.models.functions import Cast, Round
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from consultations import expert_list_cache, signals
from consultations.models import BookingAuditLog, Consultation, Expert, Review
from project.api_errors import Conflict, NotAllowed, NotFound, ServiceError
from realtime.catalogue import REVIEW_HIDDEN, REVIEW_POSTED, REVIEW_REPLIED, REVIEW_RESTORED
from realtime.events import publish_to_users

MAX_TEXT_LENGTH = 2000
MAX_REPLY_LENGTH = 2000
MAX_REASON_LENGTH = 500


def _text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ServiceError(f"At most {max_length} characters.", field=field)
    if required and not text:
        raise ServiceError("This field may not be blank.", field=field)
    return text


def _check_rating(rating: Any) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ServiceError("Rate from 1 to 5.", field="rating")
    return int(rating)


def _shift_totals(expert_id: int, *, rating_delta: int, count_delta: int) -> None:
    """Add (or take away) one review's rating in a single UPDATE, all from the locked row."""
    new_sum = F("rating_sum") + rating_delta
    new_count = F("review_count") + count_delta
    exact = Cast(new_sum, DecimalField(max_digits=12, decimal_places=6)) / Cast(
        new_count, DecimalField(max_digits=12, decimal_places=6)
    )
    Expert.objects.filter(pk=expert_id).update(
        rating_sum=new_sum,
        review_count=new_count,
        average_rating=Case(
            When(GreaterThan(new_count, 0), then=Round(exact, 2)),
            default=Value(Decimal("0")),
            output_field=DecimalField(max_digits=3, decimal_places=2),
        ),
    )
    # The list shows (and sorts by) the rating; .update() sends no signal.
    expert_list_cache.invalidate()


def _totals(expert_id: int) -> dict[str, Any]:
    row = Expert.objects.filter(pk=expert_id).values("average_rating", "review_count").get()
    return dict(row)


def author_display_name(user: User) -> str:
    """First name and last initial ("Cleo C."): enough to be a person, not a profile."""
    first = (user.first_name or "").strip()
    last = (user.last_name or "").strip()
    if first:
        return f"{first} {last[0]}." if last else first
    return "A client"


def event_payload(review: Review, totals: dict[str, Any]) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": review.pk,
        "consultation_id": review.consultation_id,
        "expert_id": review.expert_id,
        "author_name": author_display_name(review.author),
        "rating": review.rating,
        "text": review.text,
        "created_at": review.created_at.isoformat(),
        "reply": review.reply,
        "replied_at": iso(review.replied_at),
        "reply_edited_at": iso(review.reply_edited_at),
        "hidden": review.is_hidden,
        "hidden_reason": review.hidden_reason,
        "average_rating": str(totals["average_rating"]),
        "review_count": totals["review_count"],
    }


def _publish(event_type: str, review: Review) -> None:
    recipients = (review.author_id, review.expert.user_id)
    publish_to_users(recipients, event_type, event_payload(review, _totals(review.expert_id)))


# --------------------------------------------------------------------------- post


def post_review(
    *,
    consultation_id: int,
    actor: User,
    rating: Any,
    text: str | None = "",
    now: datetime | None = None,
) -> Review:
    now = now or timezone.now()
    rating = _check_rating(rating)
    text = _text(text, field="text", max_length=MAX_TEXT_LENGTH)
    c = (
        Consultation.objects.select_related("expert", "expert__user", "user")
        .filter(pk=consultation_id)
        .first()
    )
    if c is None or actor.pk not in (c.user_id, c.expert.user_id):
        raise NotFound("No such consultation.")
    if actor.pk != c.user_id:
        raise NotAllowed("Only the client can review a consultation.")
    # Completed is final: nothing moves a booking out of it, so no lock is needed here.
    if c.status != Consultation.Status.COMPLETED:
        raise Conflict("You can review a consultation once it is completed.", code="invalid_state")
    with transaction.atomic():
        try:
            # The savepoint keeps the outer transaction usable when the insert loses a race.
            with transaction.atomic():
                review = Review.objects.create(
                    consultation=c,
                    expert=c.expert,
                    author=actor,
                    rating=rating,
                    text=text,
                    created_at=now,
                )
        except IntegrityError:
            raise Conflict(
                "You have already reviewed this consultation.", code="already_reviewed"
            ) from None
        _shift_totals(c.expert_id, rating_delta=rating, count_delta=1)
        _publish(REVIEW_POSTED, review)
        transaction.on_commit(
            lambda: signals.consultation_rated.send(
                sender=Consultation, consultation=c, review=review, actor=actor
            )
        )
    return review


# --------------------------------------------------------------------------- reply


def _lock_review(review_id: int) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("expert", "expert__user", "author")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise NotFound("No such review.")
    return review


def reply_to_review(
    *, review_id: int, actor: User, text: str | None, now: datetime | None = None
) -> Review:
    """Set or edit the expert's one public reply."""
    now = now or timezone.now()
    text = _text(text, field="reply", max_length=MAX_REPLY_LENGTH, required=True)
    with transaction.atomic():
        review = _lock_review(review_id)
        if actor.pk != review.expert.user_id:
            raise NotAllowed("Only the reviewed expert can reply.")
        if review.reply == text:
            return review
        if review.replied_at is None:
            review.replied_at = now
        else:
            review.reply_edited_at = now
        review.reply = text
        review.save(update_fields=["reply", "replied_at", "reply_edited_at"])
        _publish(REVIEW_REPLIED, review)
    return review


# --------------------------------------------------------------------------- hide / restore


def hide_review(
    *, review_id: int, actor: User, reason: str | None, now: datetime | None = None
) -> Review:
    """Staff take a review off the profile; it leaves the expert's average and count."""
    if not actor.is_staff:
        raise NotAllowed("Only staff can hide reviews.")
    now = now or timezone.now()
    reason = _text(reason, field="reason", max_length=MAX_REASON_LENGTH, required=True)
    with transaction.atomic():
        review = _lock_review(review_id)
        if review.is_hidden:
            raise Conflict("This review is already hidden.", code="already_hidden")
        review.hidden_at = now
        review.hidden_by = actor
        review.hidden_reason = reason
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        _shift_totals(review.expert_id, rating_delta=-review.rating, count_delta=-1)
        BookingAuditLog.objects.create(
            consultation_id=review.consultation_id,
            expert_id=review.expert_id,
            actor=actor,
            action="review_hidden",
            details={"review_id": review.pk, "rating": review.rating, "reason": reason},
        )
        _publish(REVIEW_HIDDEN, review)
    return review


def restore_review(*, review_id: int, actor: User, reason: str | None = "") -> Review:
    """Undo a hide: the review counts again."""
    if not actor.is_staff:
        raise NotAllowed("Only staff can restore reviews.")
    reason = _text(reason, field="reason", max_length=MAX_REASON_LENGTH)
    with transaction.atomic():
        review = _lock_review(review_id)
        if not review.is_hidden:
            raise Conflict("This review is not hidden.", code="not_hidden")
        previous_reason = review.hidden_reason
        review.hidden_at = None
        review.hidden_by = None
        review.hidden_reason = ""
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        _shift_totals(review.expert_id, rating_delta=review.rating, count_delta=1)
        BookingAuditLog.objects.create(
            consultation_id=review.consultation_id,
            expert_id=review.expert_id,
            actor=actor,
            action="review_restored",
            details={
                "review_id": review.pk,
                "rating": review.rating,
                "reason": reason,
                "hidden_reason": previous_reason,
            },
        )
        _publish(REVIEW_RESTORED, review)
    return review
