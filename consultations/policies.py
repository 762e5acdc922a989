"""The cancellation, refund and rescheduling policy, in one place.

Consultation.can_be_cancelled() / can_be_rescheduled() and the booking service all ask
this module, so changing the policy means changing only this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from consultations.models import Consultation

# A user who cancels at least this long before the start gets everything back.
FULL_REFUND_NOTICE = timedelta(hours=24)
# A user may move a booking only this long before the start; later, moving it would be a
# way around the no-refund rule. The expert may reschedule until the start.
USER_RESCHEDULE_NOTICE = FULL_REFUND_NOTICE


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def is_active(consultation: Consultation) -> bool:
    return consultation.status in consultation.ACTIVE_STATUSES


def is_expert_of(consultation: Consultation, user: User | None) -> bool:
    return user is not None and consultation.expert.user_id == user.pk


def can_be_cancelled(consultation: Consultation, now: datetime | None = None) -> bool:
    """Pending or confirmed and not yet started (by either side)."""
    return is_active(consultation) and consultation.start_at > _now(now)


def can_be_rescheduled(
    consultation: Consultation, by: User | None = None, now: datetime | None = None
) -> bool:
    """Active and not started; a user (not the expert) needs FULL_REFUND_NOTICE."""
    if not can_be_cancelled(consultation, now):
        return False
    if is_expert_of(consultation, by):
        return True
    return consultation.start_at - _now(now) >= USER_RESCHEDULE_NOTICE


@dataclass(frozen=True)
class RefundDecision:
    full_refund: bool
    amount: Decimal
    reason: str


def refund_for_cancellation(
    consultation: Consultation, *, by_expert: bool, now: datetime | None = None
) -> RefundDecision:
    price = consultation.price
    if by_expert:
        return RefundDecision(True, price, "The expert cancelled: full refund.")
    if consultation.start_at - _now(now) >= FULL_REFUND_NOTICE:
        return RefundDecision(True, price, "Cancelled at least 24 hours before: full refund.")
    return RefundDecision(False, Decimal("0.00"), "Cancelled less than 24 hours before: no refund.")
