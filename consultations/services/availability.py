"""An expert's weekly rules, unavailability blocks and scheduling settings.

Every change here can move the expert's soonest free slot, so each one ends with
scheduling.refresh_next_available_at inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.utils import timezone

from consultations import signals
from consultations.models import (
    Consultation,
    Expert,
    ExpertAvailability,
    ExpertDateOverride,
    ExpertUnavailability,
)
from consultations.services import scheduling
from consultations.services.timezones import END_OF_DAY, get_zone
from project.api_errors import NotFound, ServiceError
from realtime.events import publish_to_user

MAX_RULES = 70
MAX_BLOCK_DAYS = 366
MAX_OVERRIDE_WINDOWS = 10
WEEKDAY_NAMES = [label for _, label in ExpertAvailability.Weekday.choices]


def _fmt(t: time) -> str:
    return "24:00" if t == END_OF_DAY else t.strftime("%H:%M")


def validate_weekly_rules(rules: Iterable[Mapping[str, Any]]) -> list[ExpertAvailability]:
    """Unsaved rule objects, or a 400 naming the offending rule (`rules[i]`)."""
    items = list(rules)
    if len(items) > MAX_RULES:
        raise ServiceError(f"At most {MAX_RULES} rules.", field="rules", code="too_many_rules")
    parsed: list[tuple[int, int, time, time]] = []
    for i, rule in enumerate(items):
        weekday, start, end = rule.get("weekday"), rule.get("start_time"), rule.get("end_time")
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ServiceError(
                "weekday must be 0 (Monday) to 6 (Sunday).", field=f"rules[{i}].weekday"
            )
        if not isinstance(start, time) or not isinstance(end, time):
            raise ServiceError("start_time and end_time are required.", field=f"rules[{i}]")
        if start.tzinfo or end.tzinfo:
            raise ServiceError(
                "Times are wall-clock times in the expert's zone; drop the offset.",
                field=f"rules[{i}]",
            )
        if end <= start:
            raise ServiceError(
                f"end_time ({_fmt(end)}) must be after start_time ({_fmt(start)}).",
                field=f"rules[{i}].end_time",
                code="end_before_start",
            )
        parsed.append((weekday, i, start, end))
    parsed.sort(key=lambda r: (r[0], r[2]))
    for (wd_a, i_a, s_a, e_a), (wd_b, i_b, s_b, e_b) in pairwise(parsed):
        if wd_a == wd_b and s_b < e_a:
            raise ServiceError(
                f"{WEEKDAY_NAMES[wd_b]} {_fmt(s_b)}-{_fmt(e_b)} overlaps "
                f"{_fmt(s_a)}-{_fmt(e_a)} (rules[{i_a}]).",
                field=f"rules[{i_b}]",
                code="overlapping_rules",
            )
    return [ExpertAvailability(weekday=wd, start_time=s, end_time=e) for wd, _, s, e in parsed]


def _lock(expert: Expert) -> Expert:
    # One lock per expert serialises calendar changes with bookings (see services.booking).
    return Expert.objects.select_for_update().get(pk=expert.pk)


def replace_weekly_rules(
    expert: Expert, rules: Iterable[Mapping[str, Any]]
) -> list[ExpertAvailability]:
    """Replace all weekly rules at once: either every new rule is stored or none is."""
    new_rules = validate_weekly_rules(rules)
    with transaction.atomic():
        locked = _lock(expert)
        ExpertAvailability.objects.filter(expert=locked).delete()
        for rule in new_rules:
            rule.expert = locked
        created = ExpertAvailability.objects.bulk_create(new_rules)
        scheduling.refresh_next_available_at(locked)
    expert.next_available_at = locked.next_available_at
    return created


SETTINGS_FIELDS = (
    "timezone",
    "session_lengths",
    "slot_interval_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "max_bookings_per_day",
    "booking_horizon_days",
)


def update_scheduling_settings(expert: Expert, **changes: Any) -> Expert:
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown setting: {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    if "timezone" in changes:
        get_zone(changes["timezone"], field="timezone")
    if "session_lengths" in changes:
        # The same allowed lengths as the profile editor (quarter hours up to 4 h).
        from consultations.services.expert_profile import clean_session_lengths

        changes["session_lengths"] = clean_session_lengths(list(changes["session_lengths"]))
    with transaction.atomic():
        locked = _lock(expert)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*changes.keys(), "updated_at"])
        scheduling.refresh_next_available_at(locked)
    for name in (*SETTINGS_FIELDS, "next_available_at"):
        setattr(expert, name, getattr(locked, name))
    return expert


def add_unavailability(
    expert: Expert,
    *,
    start_at: datetime,
    end_at: datetime,
    kind: str = ExpertUnavailability.Kind.ONE_OFF,
    reason: str = "",
    now: datetime | None = None,
) -> tuple[ExpertUnavailability, list[int]]:
    """Block [start_at, end_at); returns the block and ids of bookings it overlaps.

    Existing bookings are left alone (the expert decides whether to cancel them).
    """
    now = now or timezone.now()
    if timezone.is_naive(start_at):
        raise ServiceError("Include a UTC offset.", field="start_at")
    if timezone.is_naive(end_at):
        raise ServiceError("Include a UTC offset.", field="end_at")
    if end_at <= start_at:
        raise ServiceError(
            "end_at must be after start_at.", field="end_at", code="end_before_start"
        )
    if end_at <= now:
        raise ServiceError("This period is already over.", field="end_at", code="in_the_past")
    if end_at - start_at > timedelta(days=MAX_BLOCK_DAYS):
        raise ServiceError(f"A block may last at most {MAX_BLOCK_DAYS} days.", field="end_at")
    if kind not in ExpertUnavailability.Kind.values:
        raise ServiceError(f"kind must be one of {ExpertUnavailability.Kind.values}.", field="kind")
    with transaction.atomic():
        locked = _lock(expert)
        block = ExpertUnavailability.objects.create(
            expert=locked, start_at=start_at, end_at=end_at, kind=kind, reason=reason.strip()
        )
        overlapping = list(
            Consultation.objects.filter(
                expert=locked,
                status__in=Consultation.ACTIVE_STATUSES,
                start_at__lt=end_at,
                end_at__gt=start_at,
            ).values_list("pk", flat=True)
        )
        scheduling.refresh_next_available_at(locked)
    expert.next_available_at = locked.next_available_at
    return block, overlapping


def remove_unavailability(expert: Expert, block_id: int) -> None:
    with transaction.atomic():
        locked = _lock(expert)
        deleted, _ = ExpertUnavailability.objects.filter(expert=locked, pk=block_id).delete()
        if not deleted:
            raise NotFound("No such unavailability block.")
        scheduling.refresh_next_available_at(locked)
    expert.next_available_at = locked.next_available_at


# --------------------------------------------------------------------------- date overrides


def validate_override_windows(windows: Iterable[Mapping[str, Any]]) -> list[tuple[time, time]]:
    """Sorted wall-clock windows for one date, or a 400 naming `windows[i]`."""
    items = list(windows)
    if len(items) > MAX_OVERRIDE_WINDOWS:
        raise ServiceError(f"At most {MAX_OVERRIDE_WINDOWS} time ranges per date.", field="windows")
    parsed: list[tuple[time, time, int]] = []
    for i, window in enumerate(items):
        start, end = window.get("start_time"), window.get("end_time")
        if not isinstance(start, time) or not isinstance(end, time):
            raise ServiceError("start_time and end_time are required.", field=f"windows[{i}]")
        if end <= start:
            raise ServiceError(
                f"end_time ({_fmt(end)}) must be after start_time ({_fmt(start)}).",
                field=f"windows[{i}].end_time",
                code="end_before_start",
            )
        parsed.append((start, end, i))
    parsed.sort()
    for (s_a, e_a, i_a), (s_b, e_b, i_b) in pairwise(parsed):
        if s_b < e_a:
            raise ServiceError(
                f"{_fmt(s_b)}-{_fmt(e_b)} overlaps {_fmt(s_a)}-{_fmt(e_a)} (windows[{i_a}]).",
                field=f"windows[{i_b}]",
                code="overlapping_windows",
            )
    return [(s, e) for s, e, _ in parsed]


def _announce_override(expert: Expert, actor: Any, day: date, change: str) -> None:
    # The expert's other tabs refetch their calendar; listeners (audit) hear the signal.
    publish_to_user(
        expert.user_id,
        "availability.updated",
        {"expert_id": expert.pk, "change": change, "date": day.isoformat()},
    )
    transaction.on_commit(
        lambda: signals.availability_changed.send(
            sender=ExpertDateOverride,
            expert=expert,
            actor=actor,
            change=change,
            details={"date": day.isoformat()},
        )
    )


def set_date_override(
    expert: Expert,
    *,
    day: date,
    windows: Iterable[Mapping[str, Any]],
    note: str = "",
    actor: Any = None,
    now: datetime | None = None,
) -> ExpertDateOverride:
    """Create or replace the hours of `day` (expert-local); no windows = closed that day.

    Existing bookings on that day are kept (the expert decides whether to cancel them).
    """
    now = now or timezone.now()
    parsed = validate_override_windows(windows)
    zone = get_zone(expert.timezone, field="timezone")
    if day < now.astimezone(zone).date():
        raise ServiceError("This date has already passed.", field="date", code="in_the_past")
    if day > (now + timedelta(days=MAX_BLOCK_DAYS)).astimezone(zone).date():
        raise ServiceError(
            f"Overrides can be set at most {MAX_BLOCK_DAYS} days ahead.", field="date"
        )
    stored = [{"start_time": _fmt(s), "end_time": _fmt(e)} for s, e in parsed]
    with transaction.atomic():
        locked = _lock(expert)
        override, created = ExpertDateOverride.objects.update_or_create(
            expert=locked, date=day, defaults={"windows": stored, "note": note.strip()}
        )
        scheduling.refresh_next_available_at(locked)
        _announce_override(
            locked, actor, day, "override_created" if created else "override_changed"
        )
    expert.next_available_at = locked.next_available_at
    return override


def remove_date_override(expert: Expert, day: date, *, actor: Any = None) -> None:
    """Back to the weekly rules for `day`."""
    with transaction.atomic():
        locked = _lock(expert)
        deleted, _ = ExpertDateOverride.objects.filter(expert=locked, date=day).delete()
        if not deleted:
            raise NotFound("No override for this date.")
        scheduling.refresh_next_available_at(locked)
        _announce_override(locked, actor, day, "override_removed")
    expert.next_available_at = locked.next_available_at
