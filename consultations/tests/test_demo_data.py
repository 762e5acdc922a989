"""The demo-data command: believable data, idempotent."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from consultations.models import Expert, ExpertAvailability

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int]:
    return User.objects.count(), Expert.objects.count(), ExpertAvailability.objects.count()


def test_demo_data_runs_twice_without_duplicating():
    call_command("load_demo_data", verbosity=0)
    first = _counts()
    call_command("load_demo_data", verbosity=0)
    assert _counts() == first
    users, experts, rules = first
    assert experts >= 5 and rules > experts
    assert users == experts + 2  # plus the admin and the demo client
    zones = set(Expert.objects.values_list("timezone", flat=True))
    assert len(zones) >= 4
    assert all(e.is_verified for e in Expert.objects.all())
    admin = User.objects.get(username="admin@demo.consult")
    assert admin.is_staff and admin.check_password("demo-pass-2026")


def test_if_empty_leaves_an_existing_database_alone(user):
    call_command("load_demo_data", "--if-empty", verbosity=0)
    assert not Expert.objects.exists()
    user.delete()
    call_command("load_demo_data", "--if-empty", verbosity=0)
    assert Expert.objects.count() >= 5
