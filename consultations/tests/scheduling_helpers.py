"""Helpers for the scheduling and booking tests (availability rules, fixed clocks)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from consultations.models import Expert, ExpertAvailability
from consultations.tests.factories import make_expert

ALL_WEEK = range(7)


def hm(value: str) -> time:
    if value == "24:00":
        return time.max
    h, m = value.split(":")
    return time(int(h), int(m))


def set_rules(expert: Expert, rules: list[tuple[int, str, str]]) -> None:
    ExpertAvailability.objects.filter(expert=expert).delete()
    ExpertAvailability.objects.bulk_create(
        ExpertAvailability(expert=expert, weekday=wd, start_time=hm(s), end_time=hm(e))
        for wd, s, e in rules
    )


def every_day(start: str, end: str) -> list[tuple[int, str, str]]:
    return [(wd, start, end) for wd in ALL_WEEK]


def scheduling_expert(tz: str = "UTC", **fields: Any) -> Expert:
    """An approved expert with no notice, 30-minute grid, 30/60-minute sessions."""
    defaults: dict[str, Any] = {
        "timezone": tz,
        "session_lengths": [30, 60],
        "slot_interval_minutes": 30,
        "min_notice_minutes": 0,
        "max_bookings_per_day": 20,
        "booking_horizon_days": 90,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
    }
    defaults.update(fields)
    return make_expert(**defaults)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def starts(slots) -> list[str]:
    return [s.start.strftime("%Y-%m-%d %H:%M") for s in slots]


# "Now" for the booking tests: a Sunday noon UTC, so Monday and Tuesday slots lie ahead
# (frozen by the `fixed_now` fixture in consultations/tests/conftest.py).
BOOKING_NOW = utc(2026, 3, 1, 12, 0)

# Start of the meeting tests' consultation (the `consultation` fixture in conftest.py): far
# enough ahead that no test's real "now" reaches it unless the test moves time there.
MEETING_START = utc(2030, 3, 4, 15, 0)


def start_in_three_days(hours: int = 0) -> datetime:
    """09:00 UTC three days from the real now, plus `hours` (booking tests without frozen time)."""
    from datetime import timedelta

    from django.utils import timezone

    base = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    return base + timedelta(hours=hours)
