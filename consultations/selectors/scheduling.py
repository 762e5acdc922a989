"""Reads for availability and slots. Who may see what is decided here."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from consultations.models import (
    Expert,
    ExpertAvailability,
    ExpertDateOverride,
    ExpertUnavailability,
)
from project.api_errors import NotAllowed, NotFound


def expert_for_schedule(pk: int, viewer: User | AnonymousUser | None) -> Expert:
    """An approved expert, or any expert to themself and to staff; else 404."""
    expert = Expert.objects.filter(pk=pk).first()
    if expert is None:
        raise NotFound("No such expert.")
    if expert.verification_status == Expert.VerificationStatus.APPROVED:
        return expert
    if (
        viewer is not None
        and viewer.is_authenticated
        and (viewer.is_staff or expert.user_id == viewer.pk)
    ):
        return expert
    raise NotFound("No such expert.")


def own_expert_profile(user: User) -> Expert:
    """The requester's own expert profile; 403 for a user who is not an expert."""
    expert = Expert.objects.filter(user=user).first()
    if expert is None:
        raise NotAllowed("Only experts can do this.")
    return expert


def weekly_rules(expert: Expert) -> QuerySet[ExpertAvailability]:
    return ExpertAvailability.objects.filter(expert=expert).order_by("weekday", "start_time")


def unavailability_blocks(
    expert: Expert, *, include_past: bool = False, now: datetime | None = None
) -> QuerySet[ExpertUnavailability]:
    qs = ExpertUnavailability.objects.filter(expert=expert).order_by("start_at")
    if not include_past:
        qs = qs.filter(end_at__gt=now or timezone.now())
    return qs


def date_overrides(
    expert: Expert,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime | None = None,
) -> QuerySet[ExpertDateOverride]:
    """The expert's overrides from `date_from` (default: today in the expert's zone)."""
    from consultations.services.timezones import get_zone

    if date_from is None:
        date_from = (now or timezone.now()).astimezone(get_zone(expert.timezone)).date()
    qs = ExpertDateOverride.objects.filter(expert=expert, date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by("date")
