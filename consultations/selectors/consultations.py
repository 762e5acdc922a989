"""Reads for consultations. Only the client and the expert ever see a consultation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from consultations.models import Consultation, Expert
from consultations.selectors.ledger import earnings as ledger_earnings
from project.api_errors import NotFound

Status = Consultation.Status


def _base() -> QuerySet[Consultation]:
    # rescheduled_to is a reverse one-to-one: a join, not a query of its own.
    return Consultation.objects.select_related(
        "user",
        "expert",
        "expert__user",
        "rescheduled_from",
        "rescheduled_to",
        "review",
        "review__author",
    ).prefetch_related("ledger_entries", "attendance")


# Reverse one-to-ones a booking inserted by this request cannot have yet.
_NEW_BOOKING_EMPTY = (Consultation.rescheduled_to, Consultation.review)


def ready_new_booking(c: Consultation) -> Consultation:
    """Prepare a consultation this request has just inserted for ConsultationSerializer
    without reading its row back (the booking answer used to re-read it with a six-table
    join, most of a booking's CPU). The service loaded user, expert and expert.user; a new
    row has no successor, no review and no attendance (nobody has joined a meeting that
    did not exist a moment ago); its ledger rows are read unless the booking service
    already cached them (services.ledger.record_booking).
    """
    for descriptor in _NEW_BOOKING_EMPTY:
        descriptor.related.set_cached_value(c, None)
    cache_related_rows(c, "attendance", [])
    prefetch_related_objects([c], "ledger_entries")
    return c


def cache_related_rows(c: Consultation, name: str, rows: list[Any]) -> None:
    """What prefetch_related stores for `c.<name>.all()` (Django's prefetch_one_level
    does the same), for rows known without a query."""
    qs = getattr(c, name).all()
    qs._result_cache = rows
    qs._prefetch_done = True
    c.__dict__.setdefault("_prefetched_objects_cache", {})[name] = qs


def visible_to(user: User) -> QuerySet[Consultation]:
    return _base().filter(Q(user=user) | Q(expert__user=user))


def consultation_for_participant(pk: int, user: User) -> Consultation:
    # A slice, not .first(): one row at most, and .first()'s ORDER BY pk cost ~7 % of a
    # booking request's CPU in Django's expression hashing (py-spy, bench_core).
    found = list(visible_to(user).filter(pk=pk)[:1])
    if not found:
        raise NotFound("No such consultation.")
    return found[0]


def upcoming_for_user(user: User, *, now: datetime | None = None) -> QuerySet[Consultation]:
    """The user's own bookings (as the client) that are still ahead."""
    return (
        _base()
        .filter(
            user=user, status__in=Consultation.ACTIVE_STATUSES, end_at__gt=now or timezone.now()
        )
        .order_by("start_at")
    )


def past_for_user(user: User, *, now: datetime | None = None) -> QuerySet[Consultation]:
    """Everything else: ended, cancelled, completed, no-show. Newest first."""
    now = now or timezone.now()
    return (
        _base()
        .filter(user=user)
        .filter(~Q(status__in=Consultation.ACTIVE_STATUSES) | Q(end_at__lte=now))
        .order_by("-start_at")
    )


def consultations_for_expert(expert: Expert) -> QuerySet[Consultation]:
    return _base().filter(expert=expert).order_by("-start_at")


def upcoming_for_expert_list(
    qs: QuerySet[Consultation], *, now: datetime | None = None
) -> QuerySet[Consultation]:
    """Bookings still ahead (not over, not cancelled), soonest first; id breaks ties so
    pages neither repeat nor skip rows."""
    now = now or timezone.now()
    return qs.filter(status__in=Consultation.ACTIVE_STATUSES, end_at__gt=now).order_by(
        "start_at", "id"
    )


# The dashboard shows this many upcoming bookings; the rest load page by page from
# experts/consultations/?upcoming=true.
DASHBOARD_UPCOMING = 10


def expert_dashboard(expert: Expert, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    mine = Consultation.objects.filter(expert=expert)
    upcoming = upcoming_for_expert_list(_base().filter(expert=expert), now=now)
    pending = upcoming.filter(status=Status.PENDING)
    completed_count = mine.filter(status=Status.COMPLETED).count()
    return {
        "upcoming": list(upcoming[:DASHBOARD_UPCOMING]),
        "upcoming_count": upcoming.count(),
        "pending_confirmation": list(pending[:20]),
        "pending_confirmation_count": pending.count(),
        # The ledger, not prices: refunds, waived fees and moves are already taken off.
        "earnings": ledger_earnings(expert, now=now) | {"completed_count": completed_count},
        "rating": {"average": expert.average_rating, "count": expert.review_count},
        "next_available_at": expert.next_available_at,
    }
