"""Fixtures shared by the consultations test modules (the project-wide ones live in the
repository's conftest.py: users, API clients, cache and Celery resets)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User

from consultations.models import Consultation, Expert
from consultations.tests.factories import make_consultation, make_user
from consultations.tests.scheduling_helpers import BOOKING_NOW, MEETING_START


@pytest.fixture
def private_media(settings, tmp_path) -> Path:
    """Uploads go to a per-test folder, removed with tmp_path."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def fixed_now() -> Iterator[time_machine.Coordinates]:
    """Time frozen at BOOKING_NOW; tests move it with `fixed_now.move_to(...)`.

    Booking modules use it for every test (`pytest.mark.usefixtures`); a module that needs
    another "now" defines its own `fixed_now`, which takes precedence.
    """
    with time_machine.travel(BOOKING_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def client_user(db) -> User:
    return make_user(first_name="Cleo", last_name="Client")


@pytest.fixture
def consultation(user: User, expert: Expert) -> Consultation:
    """A confirmed 60-minute consultation at MEETING_START between `user` and the requesting
    module's `expert` fixture (test_meetings and test_jitsi each shape their expert)."""
    return make_consultation(user=user, expert=expert, start_at=MEETING_START, minutes=60)
