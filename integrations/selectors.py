"""Reads for calendars and integrations. Who may see what is decided here."""

from __future__ import annotations

from datetime import datetime

from consultations.models import Expert
from integrations.models import ExternalBusyInterval


def busy_intervals_for(
    expert: Expert, lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """Busy times from the expert's enabled external calendars overlapping [lo, hi)."""
    return list(
        ExternalBusyInterval.objects.filter(
            expert=expert, feed__enabled=True, end_at__gt=lo, start_at__lt=hi
        ).values_list("start_at", "end_at")
    )
