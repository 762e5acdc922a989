"""accounts.middleware: the Django admin shows times in the staff member's own zone."""

# ruff: noqa: RUF001 (expected strings use the en dash the output really uses)
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Profile
from consultations.tests.factories import make_consultation

pytestmark = pytest.mark.django_db


def test_admin_lists_consultations_in_the_staff_members_zone(staff_user):
    staff_user.is_superuser = True  # may see the consultations admin
    staff_user.save()
    Profile.objects.filter(user=staff_user).update(timezone="America/New_York")
    make_consultation(start_at=datetime(2031, 12, 2, 9, 0, tzinfo=UTC), minutes=30)
    client = Client()
    client.force_login(staff_user)
    page = client.get("/admin/consultations/consultation/").content.decode()
    assert "Tue 2 Dec, 04:00–04:30 EST" in page
    Profile.objects.filter(user=staff_user).update(timezone="Europe/Paris")
    page = client.get("/admin/consultations/consultation/").content.decode()
    assert "Tue 2 Dec, 10:00–10:30 CET" in page


def test_api_requests_keep_utc(staff_user, client_for):
    from django.utils import timezone

    Profile.objects.filter(user=staff_user).update(timezone="Asia/Kolkata")
    client_for(staff_user).get("/api/v1/auth/me/")
    assert timezone.get_current_timezone_name() == "UTC"
