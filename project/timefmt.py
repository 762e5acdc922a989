"""How every time a person sees is written, in one place (the TypeScript twin is
frontend/src/lib/timefmt.ts; both follow the same rules and are tested on the same days).

    format_span(start, end, "America/New_York", hour12=True)  -> "Tue 1 Dec, 4:00–4:30 AM EST"
    format_span(start, end, "Europe/Paris", hour12=False)     -> "Tue 1 Dec, 10:00–10:30 CET"

Rules:
- Instants are stored in UTC and converted with zoneinfo into the reader's zone.
- The zone is always named: its abbreviation when the tz database has one in letters
  (EST, CEST, IST, JST), otherwise the offset ("GMT-3", "GMT+5:30"). When a span crosses
  a DST change the zone is named at both ends ("1:30 AM EDT – 1:00 AM EST").
- 12-hour: "4:00 AM", "12:30 PM"; 24-hour: "04:00", "16:30".
- A span that ends on another local day names both days.
"""

# ruff: noqa: RUF002 (the examples show the en dash the output really uses)
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EN_DASH = "\u2013"


@dataclass(frozen=True)
class DisplayPrefs:
    """Where and how one person reads times."""

    zone: str = "UTC"
    hour12: bool = False


@lru_cache(maxsize=256)
def get_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _offset_label(local: datetime) -> str:
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(local: datetime) -> str:
    """EST, CEST, IST ... or GMT+5:30 when the tz database has no letters for it."""
    name = local.tzname() or ""
    if name and name[0].isalpha():
        return name
    return _offset_label(local)


def to_local(moment: datetime, zone: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(get_zone(zone))


def _day(local: datetime) -> str:
    return f"{local:%a} {local.day} {local:%b}"


def _clock(local: datetime, hour12: bool, *, meridiem: bool = True) -> str:
    if not hour12:
        return f"{local:%H:%M}"
    hour = local.hour % 12 or 12
    text = f"{hour}:{local:%M}"
    return f"{text} {'AM' if local.hour < 12 else 'PM'}" if meridiem else text


def format_time(moment: datetime, zone: str, *, hour12: bool = False) -> str:
    """ "4:00 AM EST" / "10:00 CET"."""
    local = to_local(moment, zone)
    return f"{_clock(local, hour12)} {zone_label(local)}"


def format_datetime(moment: datetime, zone: str, *, hour12: bool = False) -> str:
    """ "Tue 1 Dec, 4:00 AM EST"."""
    local = to_local(moment, zone)
    return f"{_day(local)}, {_clock(local, hour12)} {zone_label(local)}"


def format_date(moment: datetime, zone: str) -> str:
    """ "Tue 1 Dec 2026" (the local calendar day)."""
    local = to_local(moment, zone)
    return f"{_day(local)} {local.year}"


def format_span(start: datetime, end: datetime, zone: str, *, hour12: bool = False) -> str:
    """ "Tue 1 Dec, 4:00–4:30 AM EST"; see the module docstring for the other shapes."""
    a, b = to_local(start, zone), to_local(end, zone)
    label_a, label_b = zone_label(a), zone_label(b)
    if a.date() != b.date():
        return (
            f"{_day(a)}, {_clock(a, hour12)} {label_a} {EN_DASH} "
            f"{_day(b)}, {_clock(b, hour12)} {label_b}"
        )
    if label_a != label_b:
        return f"{_day(a)}, {_clock(a, hour12)} {label_a} {EN_DASH} {_clock(b, hour12)} {label_b}"
    same_half = hour12 and (a.hour < 12) == (b.hour < 12)
    first = _clock(a, hour12, meridiem=not same_half)
    return f"{_day(a)}, {first}{EN_DASH}{_clock(b, hour12)} {label_b}"


def format_span_for(start: datetime, end: datetime, prefs: DisplayPrefs) -> str:
    return format_span(start, end, prefs.zone, hour12=prefs.hour12)


def format_datetime_for(moment: datetime, prefs: DisplayPrefs) -> str:
    return format_datetime(moment, prefs.zone, hour12=prefs.hour12)


def format_lead(seconds: float) -> str:
    """A lead time in words, as true as a reminder can say it: "24 hours", "5 hours",
    "1 hour", "50 minutes", "3 days". Minutes under 55; whole hours (nearest) up to two
    days; whole days beyond."""
    minutes = max(1, round(seconds / 60))
    if minutes < 55:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    if minutes < 48 * 60:
        hours = max(1, round(minutes / 60))
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{minutes // (24 * 60)} days"
