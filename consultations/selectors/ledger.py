"""Expert earnings from the ledger (services/ledger.py writes it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

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


def earnings(expert: Expert) -> dict[str, Any]:
    """earned: what clients owe for bookings that are over (completed, cancelled with a fee,
    no-shows); expected: what active bookings would bring; by kind: the entries' totals."""
    mine = LedgerEntry.objects.filter(expert=expert)
    earned = mine.filter(consultation__status__in=SETTLED).aggregate(s=Sum("amount"))["s"]
    expected = mine.exclude(consultation__status__in=SETTLED).aggregate(s=Sum("amount"))["s"]
    by_kind = {row["kind"]: row["s"] for row in mine.values("kind").annotate(s=Sum("amount"))}
    return {
        "currency": expert.currency,
        "earned": earned or ZERO,
        "expected": expected or ZERO,
        "due": by_kind.get(LedgerEntry.Kind.DUE, ZERO),
        "refunded": -(by_kind.get(LedgerEntry.Kind.REFUND) or ZERO),
        "waived": -(by_kind.get(LedgerEntry.Kind.WAIVED) or ZERO),
        "moved": -(by_kind.get(LedgerEntry.Kind.MOVED) or ZERO),
    }
