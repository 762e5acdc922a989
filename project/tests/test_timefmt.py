"""project.timefmt: the shared way times are written, on DST days and half-hour zones.

frontend/src/lib/timefmt.test.ts checks the TypeScript twin against the same cases.
"""

# ruff: noqa: RUF001 (expected strings use the en dash the output really uses)
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from project.timefmt import format_datetime, format_lead, format_span, format_time


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


CASES = [
    # (start UTC, minutes, zone, hour12, expected)
    (utc(2026, 12, 1, 9, 0), 30, "America/New_York", True, "Tue 1 Dec, 4:00–4:30 AM EST"),
    (utc(2026, 12, 1, 9, 0), 30, "America/New_York", False, "Tue 1 Dec, 04:00–04:30 EST"),
    (utc(2026, 12, 1, 9, 0), 30, "Europe/Paris", False, "Tue 1 Dec, 10:00–10:30 CET"),
    (utc(2026, 12, 1, 9, 0), 30, "Asia/Kolkata", False, "Tue 1 Dec, 14:30–15:00 IST"),
    (utc(2026, 12, 1, 9, 0), 30, "Asia/Kolkata", True, "Tue 1 Dec, 2:30–3:00 PM IST"),
    (utc(2026, 12, 1, 16, 30), 60, "America/New_York", True, "Tue 1 Dec, 11:30 AM–12:30 PM EST"),
    (utc(2026, 12, 1, 9, 0), 30, "America/Sao_Paulo", False, "Tue 1 Dec, 06:00–06:30 GMT-3"),
    (utc(2026, 12, 1, 9, 0), 30, "UTC", False, "Tue 1 Dec, 09:00–09:30 UTC"),
    # Ends on the next local day.
    (
        utc(2026, 12, 2, 4, 30),
        60,
        "America/New_York",
        True,
        "Tue 1 Dec, 11:30 PM EST – Wed 2 Dec, 12:30 AM EST",
    ),
    # Paris springs forward at 01:00 UTC on 29 March 2026 (02:00 CET -> 03:00 CEST).
    (utc(2026, 3, 29, 0, 30), 60, "Europe/Paris", False, "Sun 29 Mar, 01:30 CET – 03:30 CEST"),
    (utc(2026, 3, 29, 8, 0), 30, "Europe/Paris", False, "Sun 29 Mar, 10:00–10:30 CEST"),
    # Paris falls back at 01:00 UTC on 25 October 2026 (03:00 CEST -> 02:00 CET).
    (utc(2026, 10, 25, 0, 30), 60, "Europe/Paris", False, "Sun 25 Oct, 02:30 CEST – 02:30 CET"),
    (utc(2026, 10, 25, 9, 0), 30, "Europe/Paris", True, "Sun 25 Oct, 10:00–10:30 AM CET"),
    # New York springs forward at 07:00 UTC on 8 March 2026 (2:00 EST -> 3:00 EDT).
    (
        utc(2026, 3, 8, 6, 30),
        60,
        "America/New_York",
        True,
        "Sun 8 Mar, 1:30 AM EST – 3:30 AM EDT",
    ),
    # New York falls back at 06:00 UTC on 1 November 2026 (2:00 EDT -> 1:00 EST).
    (
        utc(2026, 11, 1, 5, 30),
        60,
        "America/New_York",
        True,
        "Sun 1 Nov, 1:30 AM EDT – 1:30 AM EST",
    ),
    (utc(2026, 11, 1, 15, 0), 30, "America/New_York", True, "Sun 1 Nov, 10:00–10:30 AM EST"),
]


@pytest.mark.parametrize(("start", "minutes", "zone", "hour12", "expected"), CASES)
def test_format_span(start, minutes, zone, hour12, expected):
    assert format_span(start, start + timedelta(minutes=minutes), zone, hour12=hour12) == expected


def test_format_datetime_and_time():
    moment = utc(2026, 12, 1, 9, 0)
    assert format_datetime(moment, "America/New_York", hour12=True) == "Tue 1 Dec, 4:00 AM EST"
    assert format_datetime(moment, "Europe/Paris") == "Tue 1 Dec, 10:00 CET"
    assert format_time(utc(2026, 12, 1, 12, 0), "UTC", hour12=True) == "12:00 PM UTC"
    assert format_time(utc(2026, 12, 1, 0, 5), "UTC", hour12=True) == "12:05 AM UTC"


def test_unknown_zone_falls_back_to_utc_and_says_so():
    assert format_datetime(utc(2026, 12, 1, 9, 0), "Not/AZone") == "Tue 1 Dec, 09:00 UTC"


@pytest.mark.parametrize(
    ("lead", "text"),
    [
        (timedelta(hours=24), "24 hours"),
        (timedelta(hours=23, minutes=56), "24 hours"),
        (timedelta(hours=5, minutes=10), "5 hours"),
        (timedelta(minutes=60), "1 hour"),
        (timedelta(minutes=57), "1 hour"),
        (timedelta(minutes=50), "50 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(days=3, hours=2), "3 days"),
    ],
)
def test_format_lead(lead, text):
    assert format_lead(lead.total_seconds()) == text
