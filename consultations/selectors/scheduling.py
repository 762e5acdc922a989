"""Reads for availability and slots. Who may see what is decided here."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from consultations.models import Expert, ExpertAvailability, ExpertUnavailability
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
