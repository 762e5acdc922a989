"""Plain test factories for consultations models (shared by several test modules).

Add to this module rather than rewriting it: other test modules import from it.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from consultations.models import Consultation, Expert
from consultations.services.jitsi import JitsiService

_seq = itertools.count(1)


def make_user(**extra: Any) -> User:
    email = extra.pop("email", None) or f"factory-user{next(_seq)}@example.com"
    return User.objects.create_user(
        username=email, email=email, password=extra.pop("password", "s3cret-pass-123"), **extra
    )


def make_expert(user: User | None = None, **fields: Any) -> Expert:
    user = user or make_user(first_name="Erin", last_name="Expert")
    defaults: dict[str, Any] = {
        "name": user.get_full_name() or user.email,
        "hourly_rate": Decimal("60.00"),
        "timezone": "UTC",
        "verification_status": Expert.VerificationStatus.APPROVED,
        "verified_at": timezone.now(),
    }
    defaults.update(fields)
    return Expert.objects.create(user=user, **defaults)


def make_consultation(
    *,
    user: User | None = None,
    expert: Expert | None = None,
    start_at: datetime | None = None,
    minutes: int = 60,
    status: str = Consultation.Status.CONFIRMED,
    **fields: Any,
) -> Consultation:
    """A consultation row written directly (no booking rules), with consistent blocked_* times."""
    user = user or make_user(first_name="Uma", last_name="User")
    expert = expert or make_expert()
    start_at = start_at or (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    end_at = fields.pop("end_at", None) or start_at + timedelta(minutes=minutes)
    defaults: dict[str, Any] = {
        "topic": "Career advice",
        "price": Decimal("60.00"),
        "payment_status": Consultation.PaymentStatus.PAID,
        "meeting_room_id": JitsiService.create_meeting_room(),
    }
    if status == Consultation.Status.CONFIRMED:
        defaults["confirmed_at"] = start_at - timedelta(days=1)
    defaults.update(fields)
    return Consultation.objects.create(
        user=user,
        expert=expert,
        start_at=start_at,
        end_at=end_at,
        blocked_start=start_at - timedelta(minutes=expert.buffer_before_minutes),
        blocked_end=end_at + timedelta(minutes=expert.buffer_after_minutes),
        status=status,
        **defaults,
    )


def add_weekly_hours(expert: Expert, weekday: int = 0) -> Expert:
    """Give an expert weekly hours, which makes them bookable and so listed publicly."""
    from datetime import time

    from consultations.models import ExpertAvailability

    ExpertAvailability.objects.get_or_create(
        expert=expert, weekday=weekday, start_time=time(9), end_time=time(12)
    )
    return expert


def expert_detail_url(pk: int) -> str:
    """The public profile URL of an expert."""
    from django.urls import reverse

    return reverse("expert-detail", args=[pk])
