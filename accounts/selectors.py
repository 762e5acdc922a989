from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth.models import User

from accounts.models import Profile
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
    from consultations.models import Expert

    profile = profile_of(user)
    zone = profile.timezone or fallback_zone
    if not zone:
        # One row at most (Expert.user is one-to-one), so no ORDER BY (Expert's default
        # ordering): compiling it cost CPU on every booking sent without a zone.
        found = (
            Expert.objects.filter(user_id=user.pk).order_by().values_list("timezone", flat=True)[:1]
        )
        zone = next(iter(found), "")
    if not zone or not is_known_zone(zone):
        zone = "UTC"
    return DisplayPrefs(zone=zone, hour12=profile.time_format == Profile.TimeFormat.H12)


def public_name(user: User) -> str:
    """The name others see: the display name, else the full name, else the email."""
    return profile_of(user).display_name or user.get_full_name() or user.email or user.username
