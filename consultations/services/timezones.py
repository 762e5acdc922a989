"""Wall-clock <-> UTC conversion that is exact on DST transition days.

Availability rules are wall-clock times in the expert's IANA zone. On a spring-forward
day some wall times do not exist and on a fall-back day some happen twice; these helpers
decide, in one place, what such a time means.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from project.api_errors import ServiceError

# 24:00 in the API is stored as time.max (a TimeField cannot hold 24:00).
END_OF_DAY = time.max


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def get_zone(name: str | None, *, field: str = "tz") -> ZoneInfo:
    """The ZoneInfo for an IANA name, or a 400 naming `field`."""
    if not name or name not in _known_zones():
        raise ServiceError(
            f"'{name}' is not a known IANA time zone (e.g. 'Europe/Paris').",
            field=field,
            code="unknown_timezone",
        )
    return _zone(name)


def is_known_zone(name: str) -> bool:
    return name in _known_zones()


def _gap_end(lo: datetime, hi: datetime, zone: ZoneInfo) -> datetime:
    """First UTC instant in (lo, hi] whose offset differs from lo's: the transition."""
    before = lo.astimezone(zone).utcoffset()
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(zone).utcoffset() == before:
            lo_s = mid
        else:
            hi_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def wall_status(naive: datetime, zone: ZoneInfo) -> str:
    """'ok', 'missing' (skipped by a spring-forward) or 'ambiguous' (repeated by a fall-back)."""
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return "ok"
    round_trip = first.astimezone(zone).replace(tzinfo=None)
    return "ambiguous" if round_trip == naive else "missing"


def wall_to_utc(day: date, at: time, zone: ZoneInfo, *, edge: str = "start") -> datetime:
    """UTC instant of wall time `at` on `day` in `zone`, as a window edge.

    - time.max means midnight at the end of `day`.
    - A missing time (spring-forward gap) maps to the transition instant, so a window
      02:30-05:00 on that day in Paris starts when the clock jumps to 03:00.
    - A repeated time (fall-back) is its first occurrence for a window start and its
      last occurrence for a window end, so a window spanning the repeat keeps every
      real hour the expert works.
    """
    if at == END_OF_DAY:
        day, at = day + timedelta(days=1), time(0)
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return first
    if first.astimezone(zone).replace(tzinfo=None) == naive:  # ambiguous: both exist
        return min(first, second) if edge == "start" else max(first, second)
    return _gap_end(min(first, second), max(first, second), zone)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the calendar day `day` in `zone` (23, 24 or 25 hours long)."""
    return wall_to_utc(day, time(0), zone), wall_to_utc(day + timedelta(days=1), time(0), zone)


def aware_from_wall(naive: datetime, zone: ZoneInfo, *, field: str) -> datetime:
    """A client-given wall time in `zone` -> UTC; refuses missing and ambiguous times."""
    status = wall_status(naive, zone)
    if status == "missing":
        raise ServiceError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks skip it).",
            field=field,
            code="nonexistent_time",
        )
    if status == "ambiguous":
        raise ServiceError(
            f"{naive:%Y-%m-%d %H:%M} happens twice in {zone.key}; send it with a UTC offset.",
            field=field,
            code="ambiguous_time",
        )
    return naive.replace(tzinfo=zone).astimezone(UTC)
