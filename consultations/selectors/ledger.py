"""Expert earnings from the ledger (services/ledger.py writes it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet, Sum
from django.utils import timezone

from consultations.models import Consultation, Expert, LedgerEntry

ZERO = Decimal("0.00")
SETTLED = (
    Consultation.Status.COMPLETED,
    Consultation.Status.CANCELLED,
    Consultation.Status.NO_SHOW,
)


def entries_for_expert(expert: Expert) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(expert=expert)
        .select_related("consultation", "consultation__user")
        .order_by("created_at", "id")
    )


def _month_start(expert: Expert, now: datetime) -> datetime:
    """The first instant of the current month on the expert's own calendar."""
    zone = ZoneInfo(expert.timezone or "UTC")
    local = now.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def earnings(expert: Expert, *, now: datetime | None = None) -> dict[str, Any]:
    """earned: what clients owe for bookings that are over (completed, cancelled with a fee,
    no-shows); earned_this_month: of those, sessions starting this month in the expert's
    zone; expected: what active bookings would bring; by kind: the entries' totals."""
    now = now or timezone.now()
    mine = LedgerEntry.objects.filter(expert=expert)
    settled = mine.filter(consultation__status__in=SETTLED)
    earned = settled.aggregate(s=Sum("amount"))["s"]
    this_month = settled.filter(
        consultation__start_at__gte=_month_start(expert, now), consultation__start_at__lt=now
    ).aggregate(s=Sum("amount"))["s"]
    expected = mine.exclude(consultation__status__in=SETTLED).aggregate(s=Sum("amount"))["s"]
    by_kind = {row["kind"]: row["s"] for row in mine.values("kind").annotate(s=Sum("amount"))}
    return {
        "currency": expert.currency,
        "earned": earned or ZERO,
        "earned_this_month": this_month or ZERO,
        "expected": expected or ZERO,
        "due": by_kind.get(LedgerEntry.Kind.DUE, ZERO),
        "refunded": -(by_kind.get(LedgerEntry.Kind.REFUND) or ZERO),
        "waived": -(by_kind.get(LedgerEntry.Kind.WAIVED) or ZERO),
        "moved": -(by_kind.get(LedgerEntry.Kind.MOVED) or ZERO),
    }
