"""Free slots, conflicts and alternatives on an expert's calendar.

Slots are computed in the expert's IANA zone: each weekly rule becomes, for every local
date, a UTC window (exact on DST days, see services.timezones); a date override
(ExpertDateOverride) replaces the weekly rules of its date with its own windows, or with
none when the expert is closed that day. Slot starts lie on a grid of
`slot_interval_minutes` of elapsed time from the start of the rule's window, so the grid
never drifts across a clock change. A start is offered for a session length when

- the session [start, end) lies inside the expert's availability (touching windows join),
- it overlaps no unavailability block and no busy time from a registered busy source
  (the integrations app registers the expert's external calendar feeds),
- the busy interval [start - buffer_before, end + buffer_after) overlaps no pending or
  confirmed consultation's busy interval (the same test the database's exclusion
  constraint applies),
- the start respects the minimum notice and the booking horizon, and
- the expert-local day of the start still has room under `max_bookings_per_day`.

Booking validation (`ensure_bookable`) uses the very same calendar, so a slot that is
listed can be booked and a time that is refused is never listed.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from consultations import expert_list_cache
from consultations.models import (
    Consultation,
    Expert,
    ExpertAvailability,
    ExpertDateOverride,
    ExpertUnavailability,
)
from consultations.services.timezones import get_zone, local_day_bounds, wall_to_utc
from project.api_errors import Conflict, ServiceError
from project.prepared import compiled_timestamps, prepared_cursor

MIN_SLOT_INTERVAL_MINUTES = 5
MAX_RANGE_DAYS = 366
ALTERNATIVES_COUNT = 5

# Sources of extra busy time, (expert, lo, hi) -> UTC (start, end) pairs overlapping
# [lo, hi). Apps that know about outside calendars register one here (in their
# AppConfig.ready), so this module never imports them.
BusySource = Callable[[Expert, datetime, datetime], Iterable[tuple[datetime, datetime]]]
_busy_sources: list[BusySource] = []
# A source may also give the same rows as PostgreSQL: a SELECT of (start_at, end_at) with
# the placeholders %(expert)s, %(lo)s and %(hi)s. The calendar read then takes them in its
# one statement instead of calling the source (see _read_calendar).
_busy_sql: dict[BusySource, str] = {}


def register_busy_source(source: BusySource, *, postgresql: str | None = None) -> None:
    if source not in _busy_sources:
        _busy_sources.append(source)
    if postgresql is not None:
        _busy_sql[source] = postgresql


def external_busy(
    expert: Expert, lo: datetime, hi: datetime, *, skip_sql: bool = False
) -> list[tuple[datetime, datetime]]:
    found: list[tuple[datetime, datetime]] = []
    for source in _busy_sources:
        if not (skip_sql and source in _busy_sql):
            found.extend(source(expert, lo, hi))
    return found


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC, start + the requested (or shortest offered) length
    durations: tuple[int, ...]  # every offered length that fits at this start


@dataclass(frozen=True, slots=True)
class _Intervals:
    """Sorted, non-overlapping [start, end) intervals with O(log n) queries."""

    starts: list[datetime]
    ends: list[datetime]

    @classmethod
    def merged(cls, pairs: Iterable[tuple[datetime, datetime]]) -> _Intervals:
        starts: list[datetime] = []
        ends: list[datetime] = []
        for s, e in sorted(pairs):
            if e <= s:
                continue
            if ends and s <= ends[-1]:  # touching or overlapping: one interval
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(s)
                ends.append(e)
        return cls(starts, ends)

    def overlaps(self, s: datetime, e: datetime) -> bool:
        i = bisect_right(self.ends, s)
        return i < len(self.starts) and self.starts[i] < e

    def contains(self, s: datetime, e: datetime) -> bool:
        i = bisect_right(self.starts, s) - 1
        return i >= 0 and self.ends[i] >= e


@dataclass
class _Calendar:
    expert: Expert
    zone: ZoneInfo
    now: datetime
    earliest: datetime
    latest: datetime
    rule_windows: list[tuple[datetime, datetime]]
    available: _Intervals
    blocked: _Intervals
    busy: _Intervals
    day_counts: Counter[date] = field(default_factory=Counter)

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=max(self.expert.slot_interval_minutes, MIN_SLOT_INTERVAL_MINUTES))

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.expert.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.expert.buffer_after_minutes)

    def day_full(self, start: datetime) -> bool:
        local_day = start.astimezone(self.zone).date()
        return self.day_counts[local_day] >= self.expert.max_bookings_per_day

    def fits(self, start: datetime, minutes: int) -> bool:
        end = start + timedelta(minutes=minutes)
        return (
            self.available.contains(start, end)
            and not self.blocked.overlaps(start, end)
            and not self.busy.overlaps(start - self.buffer_before, end + self.buffer_after)
        )

    def on_grid(self, start: datetime) -> bool:
        step = self.step
        return any(
            ws <= start < we and (start - ws) % step == timedelta(0) for ws, we in self.rule_windows
        )

    def grid_starts(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Grid points in [max(lo, earliest), min(hi, latest)] inside their rule window."""
        lo = max(lo, self.earliest)
        step = self.step
        points: set[datetime] = set()
        for ws, we in self.rule_windows:
            first = ws if lo <= ws else ws + step * math.ceil((lo - ws) / step)
            p = first
            while p < we and p < hi and p <= self.latest:
                points.add(p)
                p += step
        return sorted(points)


def session_lengths(expert: Expert) -> list[int]:
    return sorted({int(m) for m in (expert.session_lengths or []) if int(m) > 0})


Overrides = dict[date, list[tuple[time, time]]]


def parse_wall_time(value: str) -> time:
    """ "HH:MM" as stored in ExpertDateOverride.windows; "24:00" is the end of the day."""
    if value == "24:00":
        return time.max
    return time.fromisoformat(value)


def load_overrides(expert: Expert, first_day: date, last_day: date) -> Overrides:
    rows = ExpertDateOverride.objects.filter(
        expert=expert, date__gte=first_day, date__lte=last_day
    ).values_list("date", "windows")
    return {
        day: [(parse_wall_time(w["start_time"]), parse_wall_time(w["end_time"])) for w in windows]
        for day, windows in rows
    }


def _rule_windows(
    rules: Sequence[ExpertAvailability],
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
    overrides: Overrides | None = None,
) -> list[tuple[datetime, datetime]]:
    """UTC windows of every expert-local day in [first_day, last_day].

    A date with an override uses the override's wall-clock windows (none: closed) instead
    of the weekly rules of its weekday; both go through the same DST-exact conversion.
    """
    by_weekday: dict[int, list[tuple[time, time]]] = {}
    for rule in rules:
        by_weekday.setdefault(rule.weekday, []).append((rule.start_time, rule.end_time))
    overrides = overrides or {}
    windows: list[tuple[datetime, datetime]] = []
    day = first_day
    while day <= last_day:
        day_windows = overrides.get(day)
        if day_windows is None:
            day_windows = by_weekday.get(day.weekday(), [])
        for start_time, end_time in day_windows:
            start = wall_to_utc(day, start_time, zone, edge="start")
            end = wall_to_utc(day, end_time, zone, edge="end")
            if end > start:  # a rule wholly inside a spring-forward gap is empty
                windows.append((start, end))
        day += timedelta(days=1)
    return windows


@dataclass
class _CalendarRows:
    """An expert's own calendar rows for one read (see _read_calendar)."""

    rules: list[ExpertAvailability]
    blocks: list[tuple[datetime, datetime]]
    taken: list[tuple[datetime, datetime, datetime, str]]  # start, blocked start/end, status
    overrides: Overrides


def _read_calendar(
    expert: Expert,
    busy_lo: datetime,
    busy_hi: datetime,
    first_day: date,
    last_day: date,
    *,
    rules: bool,
) -> _CalendarRows:
    """Weekly rules (if `rules`), unavailability blocks and busy time from the registered
    sources, non-cancelled bookings overlapping [busy_lo, busy_hi), and date overrides of
    first_day..last_day.

    On PostgreSQL this is one statement (UNION ALL) instead of five: a booking validates
    its time on every request, and each ORM query cost more to build than to run.
    Elsewhere (the embedded SQLite default) the same rows come from ORM queries and the
    sources; tests hold the two to the same answers.
    """
    if connection.vendor == "postgresql":
        return _read_calendar_one_statement(expert, busy_lo, busy_hi, first_day, last_day, rules)
    return _read_calendar_orm(expert, busy_lo, busy_hi, first_day, last_day, rules)


def _read_calendar_orm(
    expert: Expert,
    busy_lo: datetime,
    busy_hi: datetime,
    first_day: date,
    last_day: date,
    rules: bool,
) -> _CalendarRows:
    return _CalendarRows(
        rules=list(ExpertAvailability.objects.filter(expert=expert)) if rules else [],
        blocks=list(
            ExpertUnavailability.objects.filter(
                expert=expert, end_at__gt=busy_lo, start_at__lt=busy_hi
            ).values_list("start_at", "end_at")
        )
        + external_busy(expert, busy_lo, busy_hi),
        taken=list(
            Consultation.objects.filter(
                expert=expert, blocked_end__gt=busy_lo, blocked_start__lt=busy_hi
            )
            .exclude(status=Consultation.Status.CANCELLED)
            .values_list("start_at", "blocked_start", "blocked_end", "status")
        ),
        overrides=load_overrides(expert, first_day, last_day),
    )


# Columns: kind, weekday, start_time, end_time, t1, t2, t3, status, date, windows.
_CALENDAR_SQL = """
SELECT 'r', weekday, start_time, end_time, NULL::timestamptz, NULL::timestamptz,
       NULL::timestamptz, NULL::varchar, NULL::date, NULL::jsonb
  FROM {rules} WHERE expert_id = %(expert)s AND %(with_rules)s
UNION ALL
SELECT 'b', NULL, NULL, NULL, start_at, end_at, NULL, NULL, NULL, NULL
  FROM {blocks} WHERE expert_id = %(expert)s AND end_at > %(lo)s AND start_at < %(hi)s
UNION ALL
SELECT 't', NULL, NULL, NULL, start_at, blocked_start, blocked_end, status, NULL, NULL
  FROM {bookings} WHERE expert_id = %(expert)s AND blocked_end > %(lo)s
   AND blocked_start < %(hi)s AND status <> %(cancelled)s
UNION ALL
SELECT 'o', NULL, NULL, NULL, NULL, NULL, NULL, NULL, date, windows
  FROM {overrides} WHERE expert_id = %(expert)s AND date >= %(first)s AND date <= %(last)s
"""


def _read_calendar_one_statement(
    expert: Expert,
    busy_lo: datetime,
    busy_hi: datetime,
    first_day: date,
    last_day: date,
    with_rules: bool,
) -> _CalendarRows:
    sql = _CALENDAR_SQL.format(
        rules=ExpertAvailability._meta.db_table,
        blocks=ExpertUnavailability._meta.db_table,
        bookings=Consultation._meta.db_table,
        overrides=ExpertDateOverride._meta.db_table,
    )
    for source_sql in _busy_sql.values():
        sql += (
            "UNION ALL\nSELECT 'b', NULL, NULL, NULL, start_at, end_at, NULL, NULL, NULL, NULL"
            f"\n  FROM ({source_sql}) AS busy_source\n"
        )
    params: dict[str, Any] = {
        "expert": expert.pk,
        "with_rules": with_rules,
        "lo": busy_lo,
        "hi": busy_hi,
        "cancelled": Consultation.Status.CANCELLED,
        "first": first_day,
        "last": last_day,
    }
    rows = _CalendarRows(rules=[], blocks=[], taken=[], overrides={})
    # The same text every time: prepared once per connection (project/prepared.py). The
    # instants it reads are only compared and converted here, so the compiled loader serves.
    with prepared_cursor() as cursor:
        compiled_timestamps(cursor)
        cursor.execute(sql, params)
        found = cursor.fetchall()
    for kind, weekday, start_time, end_time, t1, t2, t3, status, day, windows in found:
        if kind == "r":
            rows.rules.append(
                ExpertAvailability(
                    expert=expert, weekday=weekday, start_time=start_time, end_time=end_time
                )
            )
        elif kind == "b":
            rows.blocks.append((t1, t2))
        elif kind == "t":
            rows.taken.append((t1, t2, t3, status))
        else:
            if isinstance(windows, str):  # Django reads jsonb as text
                windows = json.loads(windows)
            rows.overrides[day] = [
                (parse_wall_time(w["start_time"]), parse_wall_time(w["end_time"])) for w in windows
            ]
    rows.rules.sort(key=lambda r: (r.weekday, r.start_time))  # the model's ordering
    rows.blocks += external_busy(expert, busy_lo, busy_hi, skip_sql=True)
    return rows


def _load_calendar(
    expert: Expert,
    lo: datetime,
    hi: datetime,
    *,
    now: datetime | None = None,
    rules: Sequence[ExpertAvailability] | None = None,
    busy_window: tuple[datetime, datetime] | None = None,
) -> _Calendar:
    """Everything needed to decide about slot starts in [lo, hi).

    `busy_window` narrows the blocks and bookings read to those overlapping it (see
    ensure_bookable); by default they are read with wide margins around [lo, hi).
    """
    now = now or timezone.now()
    zone = get_zone(expert.timezone, field="timezone")
    first_day = (lo - timedelta(days=1)).astimezone(zone).date()
    last_day = (hi + timedelta(days=1)).astimezone(zone).date()
    if busy_window is None:
        # Margins: a session starting near `hi` runs past it, buffers reach either side,
        # and a local day can be 25 hours long.
        margin = timedelta(days=2, minutes=max(session_lengths(expert), default=0))
        busy_window = (lo - margin, hi + margin)
    busy_lo, busy_hi = busy_window

    rows = _read_calendar(expert, busy_lo, busy_hi, first_day, last_day, rules=rules is None)
    rules = rows.rules if rules is None else rules
    blocks = rows.blocks  # outside calendars' busy time included: it counts like a block
    busy: list[tuple[datetime, datetime]] = []
    day_counts: Counter[date] = Counter()
    for start_at, blocked_start, blocked_end, status in rows.taken:
        day_counts[start_at.astimezone(zone).date()] += 1
        if status in Consultation.ACTIVE_STATUSES:
            busy.append((blocked_start, blocked_end))

    windows = _rule_windows(rules, zone, first_day, last_day, rows.overrides)
    return _Calendar(
        expert=expert,
        zone=zone,
        now=now,
        earliest=now + timedelta(minutes=expert.min_notice_minutes),
        latest=now + timedelta(days=expert.booking_horizon_days),
        rule_windows=windows,
        available=_Intervals.merged(windows),
        blocked=_Intervals.merged(blocks),
        busy=_Intervals.merged(busy),
        day_counts=day_counts,
    )


def compute_slots(
    expert: Expert,
    lo: datetime,
    hi: datetime,
    *,
    duration_minutes: int | None = None,
    now: datetime | None = None,
    rules: Sequence[ExpertAvailability] | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """Free slots starting in [lo, hi) (UTC) for `duration_minutes` (default: the shortest)."""
    lengths = session_lengths(expert)
    if duration_minutes is not None:
        lengths = [m for m in lengths if m <= duration_minutes]
        if duration_minutes not in lengths:
            return []
    if not lengths:
        return []
    wanted = duration_minutes or lengths[0]
    cal = _load_calendar(expert, lo, hi, now=now, rules=rules)
    if not cal.rule_windows:
        return []
    all_lengths = session_lengths(expert)
    slots: list[Slot] = []
    for start in cal.grid_starts(lo, hi):
        if cal.day_full(start) or not cal.fits(start, wanted):
            continue
        # Fitting is monotonic in length, so the longer lengths are checked only from here.
        fitting = tuple(m for m in all_lengths if m <= wanted or cal.fits(start, m))
        slots.append(Slot(start, start + timedelta(minutes=wanted), fitting))
        if limit is not None and len(slots) >= limit:
            break
    return slots


def get_available_slots(
    expert: Expert,
    *,
    date_from: date,
    date_to: date,
    viewer_tz: str | ZoneInfo | None = None,
    duration_minutes: int | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """Free slots starting on the viewer-local dates date_from..date_to (inclusive).

    The dates are calendar days in the viewer's zone (the expert's zone by default), so a
    viewer in Paris asking for 2026-03-29 gets the 23 hours of that Paris day.
    """
    if date_to < date_from:
        raise ServiceError("'to' must not be before 'from'.", field="to", code="invalid_range")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise ServiceError(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time.", field="to", code="range_too_long"
        )
    if duration_minutes is not None and duration_minutes not in session_lengths(expert):
        raise ServiceError(
            f"This expert offers sessions of {_lengths_text(expert)} minutes.",
            field="duration",
            code="length_not_offered",
        )
    zone = viewer_tz if isinstance(viewer_tz, ZoneInfo) else get_zone(viewer_tz or expert.timezone)
    lo, _ = local_day_bounds(date_from, zone)
    _, hi = local_day_bounds(date_to, zone)
    return compute_slots(expert, lo, hi, duration_minutes=duration_minutes, now=now)


def check_conflict(
    expert: Expert, start_at: datetime, end_at: datetime, *, exclude_pk: int | None = None
) -> bool:
    """True if [start_at, end_at) widened by the expert's buffers overlaps an active booking."""
    blocked_start, blocked_end = blocked_interval(expert, start_at, end_at)
    qs = Consultation.objects.filter(
        expert=expert,
        status__in=Consultation.ACTIVE_STATUSES,
        blocked_start__lt=blocked_end,
        blocked_end__gt=blocked_start,
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def blocked_interval(
    expert: Expert, start_at: datetime, end_at: datetime
) -> tuple[datetime, datetime]:
    return (
        start_at - timedelta(minutes=expert.buffer_before_minutes),
        end_at + timedelta(minutes=expert.buffer_after_minutes),
    )


def suggest_alternative_times(
    expert: Expert,
    around: datetime,
    duration_minutes: int | None = None,
    *,
    count: int = ALTERNATIVES_COUNT,
    now: datetime | None = None,
) -> list[Slot]:
    """The `count` free slots nearest to `around` (before or after), in time order."""
    now = now or timezone.now()
    lengths = session_lengths(expert)
    if duration_minutes not in lengths:
        duration_minutes = lengths[0] if lengths else None
    if duration_minutes is None:
        return []
    rules = list(ExpertAvailability.objects.filter(expert=expert))
    if not _has_hours(expert, rules, now):
        return []
    candidates: list[Slot] = []
    radius = timedelta(days=3)
    for radius in (timedelta(days=3), timedelta(days=14)):
        candidates = [
            s
            for s in compute_slots(
                expert,
                max(around - radius, now),
                around + radius,
                duration_minutes=duration_minutes,
                now=now,
                rules=rules,
            )
            if s.start != around
        ]
        if len(candidates) >= count:
            break
    if len(candidates) < count:
        # A sparse calendar: take the next free slots after the searched span.
        later = compute_slots(
            expert,
            around + radius,
            now + timedelta(days=expert.booking_horizon_days, seconds=1),
            duration_minutes=duration_minutes,
            now=now,
            rules=rules,
        )
        candidates += later[: count - len(candidates)]
    nearest = sorted(candidates, key=lambda s: (abs(s.start - around), s.start))[:count]
    return sorted(nearest, key=lambda s: s.start)


def _has_hours(expert: Expert, rules: Sequence[ExpertAvailability], now: datetime) -> bool:
    """Weekly rules, or at least one date override with hours from yesterday on."""
    if rules:
        return True
    return (
        ExpertDateOverride.objects.filter(expert=expert, date__gte=(now - timedelta(days=1)).date())
        .exclude(windows=[])
        .exists()
    )


def find_next_available(
    expert: Expert,
    *,
    now: datetime | None = None,
    duration_minutes: int | None = None,
    rules: Sequence[ExpertAvailability] | None = None,
) -> Slot | None:
    now = now or timezone.now()
    if rules is None:
        rules = list(ExpertAvailability.objects.filter(expert=expert))
    if not session_lengths(expert) or not _has_hours(expert, rules, now):
        return None
    lo = now + timedelta(minutes=expert.min_notice_minutes)
    end = now + timedelta(days=expert.booking_horizon_days) + timedelta(seconds=1)
    # Start small (most calendars have room soon), then widen the window.
    chunk = timedelta(days=1)
    while lo < end:
        hi = min(lo + chunk, end)
        slots = compute_slots(
            expert, lo, hi, duration_minutes=duration_minutes, now=now, rules=rules, limit=1
        )
        if slots:
            return slots[0]
        lo = hi
        chunk = min(chunk * 4, timedelta(days=64))
    return None


def refresh_next_available_at(
    expert: Expert,
    *,
    now: datetime | None = None,
    added: tuple[datetime, datetime] | None = None,
) -> datetime | None:
    """Recompute and store Expert.next_available_at (None: nothing bookable).

    `added` = (start_at, blocked_start) of a booking just made: when it provably leaves
    the stored soonest slot free, the stored value is kept and nothing is recomputed.
    """
    now = now or timezone.now()
    if added is not None and _booking_leaves_next_slot_free(expert, *added, now=now):
        return expert.next_available_at
    value = None
    if expert.verification_status == Expert.VerificationStatus.APPROVED:
        slot = find_next_available(expert, now=now)
        value = slot.start if slot else None
    # Written only when it differs (exclude() is IS DISTINCT FROM here: a NULL row is
    # written too), so a booking that leaves the soonest slot where it was keeps the
    # cached expert list; the row count says so even when `expert` was read earlier.
    changed = (
        Expert.objects.filter(pk=expert.pk)
        .exclude(next_available_at=value)
        .update(next_available_at=value)
    )
    expert.next_available_at = value
    if changed:
        # The list shows (and sorts by) the soonest slot; .update() sends no signal.
        expert_list_cache.invalidate()
    return value


def _booking_leaves_next_slot_free(
    expert: Expert, start_at: datetime, blocked_start: datetime, *, now: datetime
) -> bool:
    """A new booking only takes time away; the soonest free slot S survives it when the
    booking's busy interval begins after S's own busy interval ends and it lands on
    another expert-local day (so S's daily count is unchanged). S must still be valid."""
    nxt = expert.next_available_at
    lengths = session_lengths(expert)
    if nxt is None or not lengths or nxt < now + timedelta(minutes=expert.min_notice_minutes):
        return False
    s_busy_end = nxt + timedelta(minutes=lengths[0] + expert.buffer_after_minutes)
    if blocked_start < s_busy_end:
        return False
    zone = get_zone(expert.timezone, field="timezone")
    return start_at.astimezone(zone).date() != nxt.astimezone(zone).date()


def refresh_stale_next_available(*, now: datetime | None = None) -> int:
    """Refresh experts whose stored soonest slot has passed (for a periodic task)."""
    now = now or timezone.now()
    stale = Expert.objects.filter(
        verification_status=Expert.VerificationStatus.APPROVED,
    ).filter(Q(next_available_at__lt=now) | Q(next_available_at__isnull=True))
    count = 0
    for expert in stale.iterator():
        refresh_next_available_at(expert, now=now)
        count += 1
    return count


# --------------------------------------------------------------------------- validation


def _lengths_text(expert: Expert) -> str:
    lengths = session_lengths(expert)
    return ", ".join(str(m) for m in lengths) if lengths else "no"


def slot_payload(slot: Slot, viewer_zone: ZoneInfo | None = None) -> dict[str, Any]:
    return {
        "start": slot.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "end": slot.end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        **(
            {
                "start_local": slot.start.astimezone(viewer_zone).isoformat(),
                "end_local": slot.end.astimezone(viewer_zone).isoformat(),
            }
            if viewer_zone
            else {}
        ),
    }


def _alternatives(expert: Expert, around: datetime, minutes: int, now: datetime) -> dict[str, Any]:
    slots = suggest_alternative_times(expert, around, minutes, now=now)
    return {"alternatives": [slot_payload(s) for s in slots]}


def ensure_bookable(
    expert: Expert,
    start_at: datetime,
    duration_minutes: int,
    *,
    now: datetime | None = None,
    alternatives: bool = True,
) -> None:
    """Raise a ServiceError (400, naming the field) or Conflict (409) if the time can't be booked.

    Checks the same things as the slot listing, in an order that gives the clearest reason.
    With alternatives=False the error carries no suggestions (the booking service adds
    them after releasing its lock; see add_alternatives).
    """
    now = now or timezone.now()

    def alt() -> dict[str, Any]:
        return _alternatives(expert, start_at, duration_minutes, now) if alternatives else {}

    if duration_minutes not in session_lengths(expert):
        raise ServiceError(
            f"This expert offers sessions of {_lengths_text(expert)} minutes.",
            field="duration_minutes",
            code="length_not_offered",
        )
    if start_at <= now:
        raise ServiceError("This time is in the past.", field="start_at", code="in_the_past")
    if start_at < now + timedelta(minutes=expert.min_notice_minutes):
        raise ServiceError(
            f"Book at least {expert.min_notice_minutes} minutes in advance.",
            field="start_at",
            code="too_short_notice",
        )
    if start_at > now + timedelta(days=expert.booking_horizon_days):
        raise ServiceError(
            f"Bookings open only {expert.booking_horizon_days} days ahead.",
            field="start_at",
            code="beyond_horizon",
        )
    end_at = start_at + timedelta(minutes=duration_minutes)
    # Only one start is judged, so only the bookings that can matter are read: those on its
    # expert-local day (the daily limit) and those whose busy time could touch its own.
    # An expert with a full week around it costs a day of rows, not five days of them.
    zone = get_zone(expert.timezone, field="timezone")
    day_lo, day_hi = local_day_bounds(start_at.astimezone(zone).date(), zone)
    busy_window = (
        min(day_lo, start_at - timedelta(minutes=expert.buffer_before_minutes)),
        max(day_hi, end_at + timedelta(minutes=expert.buffer_after_minutes)),
    )
    cal = _load_calendar(
        expert, start_at, start_at + timedelta(microseconds=1), now=now, busy_window=busy_window
    )
    if not cal.available.contains(start_at, end_at):
        raise ServiceError(
            "This time is outside the expert's availability.",
            field="start_at",
            code="outside_availability",
            extra=alt(),
        )
    if not cal.on_grid(start_at):
        raise ServiceError(
            f"Sessions start every {cal.step.seconds // 60} minutes; this time is off that grid.",
            field="start_at",
            code="off_grid",
            extra=alt(),
        )
    if cal.blocked.overlaps(start_at, end_at):
        raise ServiceError(
            "The expert is unavailable at this time.",
            field="start_at",
            code="expert_unavailable",
            extra=alt(),
        )
    if cal.day_full(start_at):
        raise Conflict(
            "The expert is fully booked on that day.",
            field="start_at",
            code="day_full",
            extra=alt(),
        )
    if cal.busy.overlaps(start_at - cal.buffer_before, end_at + cal.buffer_after):
        raise slot_taken(expert, start_at, duration_minutes, now, alternatives=alternatives)


def slot_taken(
    expert: Expert, start_at: datetime, minutes: int, now: datetime, *, alternatives: bool = True
) -> Conflict:
    return Conflict(
        "This time has just been booked by someone else.",
        field="start_at",
        code="slot_taken",
        extra=_alternatives(expert, start_at, minutes, now) if alternatives else {},
    )


# Refusals where "here are the nearest free times" helps the client.
ALTERNATIVE_CODES = frozenset(
    {"slot_taken", "day_full", "outside_availability", "off_grid", "expert_unavailable"}
)


def add_alternatives(
    exc: ServiceError, expert_id: int, start_at: datetime, minutes: int, now: datetime
) -> None:
    """Attach suggested slots to a refusal raised without them."""
    if exc.code not in ALTERNATIVE_CODES or "alternatives" in exc.extra:
        return
    expert = Expert.objects.filter(pk=expert_id).first()
    if expert is not None:
        exc.extra.update(_alternatives(expert, start_at, minutes, now))
