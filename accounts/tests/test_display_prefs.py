"""The zone a person reads times in (accounts.selectors.display_prefs): the profile's
choice, else the fallback given, else an expert's working zone, else UTC."""

from __future__ import annotations

import pytest

from accounts.models import Profile
from accounts.selectors import display_prefs
from consultations.tests.factories import make_expert, make_user

pytestmark = pytest.mark.django_db


def _with_zone(user, zone: str):
    Profile.objects.update_or_create(user=user, defaults={"timezone": zone})
    user.refresh_from_db()
    return user


def test_the_profile_zone_wins():
    expert = make_expert(timezone="Asia/Tokyo")
    user = _with_zone(expert.user, "Europe/Paris")
    assert display_prefs(user, fallback_zone="America/New_York").zone == "Europe/Paris"


def test_without_a_profile_zone_the_fallback_then_the_expert_zone():
    expert = make_expert(timezone="Asia/Tokyo")
    user = _with_zone(expert.user, "")
    assert display_prefs(user, fallback_zone="America/New_York").zone == "America/New_York"
    assert display_prefs(user).zone == "Asia/Tokyo"


def test_a_client_without_any_zone_reads_utc():
    user = _with_zone(make_user(), "")
    assert display_prefs(user).zone == "UTC"
    # A user whose expert zone is unknown to this server also reads UTC.
    expert = make_expert(timezone="Mars/Olympus")
    assert display_prefs(_with_zone(expert.user, "")).zone == "UTC"
