from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth.models import User

from accounts.models import Profile
from project.compiled import ID_PLACEHOLDER, CompiledRead
from project.timefmt import DisplayPrefs

_ZONES: frozenset[str] = frozenset()


def is_known_zone(name: str) -> bool:
    global _ZONES
    if not _ZONES:
        _ZONES = frozenset(available_timezones())
    return name in _ZONES


def user_roles(user: User) -> dict[str, Any]:
    """Roles come from data: expert = an approved Expert linked to the user; admin = staff."""
    from consultations.models import Expert

    expert = Expert.objects.filter(user=user).only("id", "verification_status").first()
    return {
        "is_expert": bool(expert and expert.is_verified),
        "expert_id": expert.id if expert else None,
        "expert_status": expert.verification_status if expert else None,
        "is_staff": user.is_staff,
    }


def profile_of(user: User) -> Profile:
    """The user's Profile; an unsaved default one if it is missing (never writes on read)."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile(user=user)


def display_prefs(user: User, *, fallback_zone: str = "") -> DisplayPrefs:
    """The zone and clock a person reads times in.

    Zone: the one chosen in the profile (detected by the browser at sign-up); else
    `fallback_zone` (e.g. the zone the client booked from); else, for an expert, their
    working zone; else UTC.
    """
    profile = profile_of(user)
    zone = profile.timezone or fallback_zone
    if not zone:
        loaded = _loaded_expert_zone(user)
        zone = loaded if loaded is not None else _expert_zone(user.pk)
    if not zone or not is_known_zone(zone):
        zone = "UTC"
    return DisplayPrefs(zone=zone, hour12=profile.time_format == Profile.TimeFormat.H12)


def _loaded_expert_zone(user: User) -> str | None:
    """The expert zone if the user was read with select_related("expert_profile") ("" when
    not an expert), else None (not loaded: ask the database)."""
    from consultations.models import Expert

    expert_rel = Expert.user.field.remote_field  # the user's reverse `expert_profile`
    if not expert_rel.is_cached(user):
        return None
    expert = expert_rel.get_cached_value(user)
    return expert.timezone if isinstance(expert, Expert) else ""


def _expert_row(user_id: int) -> Any:
    from consultations.models import Expert

    # One row at most (Expert.user is one-to-one); only the zone is read.
    return Expert.objects.filter(user_id=user_id).only("timezone").order_by()


# Compiled once per process (project/compiled.py): compiling the ORM query on every booking
# sent without a zone cost more CPU than running it (cProfile, issue 12).
_EXPERT_ZONE: CompiledRead[Any] = CompiledRead(_expert_row, ID_PLACEHOLDER)


def _expert_zone(user_id: int) -> str:
    """The working zone of the user's expert profile, "" if none."""
    expert = _EXPERT_ZONE.first(user_id)
    return str(expert.timezone) if expert is not None else ""


def public_name(user: User) -> str:
    """The name others see: the display name, else the full name, else the email."""
    return profile_of(user).display_name or user.get_full_name() or user.email or user.username
