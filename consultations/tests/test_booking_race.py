"""No double booking under real concurrency: many threads, each on its own connection."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, transaction
from psycopg.errors import DeadlockDetected

from consultations.models import Consultation, Expert
from consultations.services import booking, scheduling
from consultations.tests.concurrency import run_concurrently
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules
from consultations.tests.scheduling_helpers import start_in_three_days as _start

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12


def _expert() -> Expert:
    expert = scheduling_expert(buffer_after_minutes=10)
    set_rules(expert, every_day("00:00", "24:00"))
    return expert


def _book(user, expert, start, minutes=30) -> Callable[[], object]:
    return lambda: booking.book_consultation(
        user=user, expert_id=expert.pk, start_at=start, duration_minutes=minutes, topic="Race"
    )


def test_many_concurrent_bookings_of_one_slot_exactly_one_wins():
    expert = _expert()
    start = _start()
    users = [make_user() for _ in range(THREADS)]
    outcomes = run_concurrently(
        [_book(u, expert, start) for u in users], ok="booked", conflict="conflict"
    )
    assert Counter(outcomes) == {"booked": 1, "conflict": THREADS - 1}, outcomes
    assert Consultation.objects.filter(expert=expert).count() == 1


def test_overlapping_different_starts_and_lengths_exactly_one_wins():
    expert = _expert()
    start = _start()
    calls = []
    # Busy intervals (10-minute buffer after), pairwise overlapping:
    # 09:00+60 -> [09:00, 10:10), 09:30+30 -> [09:30, 10:10), 09:00+30 -> [09:00, 09:40),
    # 08:30+60 -> [08:30, 09:40).
    shapes = [(0, 60), (30, 30), (0, 30), (-30, 60)]
    for i in range(THREADS):
        offset, minutes = shapes[i % len(shapes)]
        calls.append(_book(make_user(), expert, start + timedelta(minutes=offset), minutes))
    outcomes = run_concurrently(calls, ok="booked", conflict="conflict")
    assert outcomes.count("booked") == 1, outcomes
    assert set(outcomes) == {"booked", "conflict"}
    assert Consultation.objects.filter(expert=expert).count() == 1


def test_the_exclusion_constraint_alone_lets_exactly_one_win():
    """Without the expert lock and the Python check, PostgreSQL still allows one winner."""
    expert = _expert()
    start = _start()

    def no_lock(expert_id: int) -> Expert:
        return Expert.objects.get(pk=expert_id)

    users = [make_user() for _ in range(THREADS)]
    with (
        mock.patch.object(booking, "_lock_expert", no_lock),
        mock.patch.object(scheduling, "ensure_bookable"),
    ):
        outcomes = run_concurrently(
            [_book(u, expert, start) for u in users], ok="booked", conflict="conflict"
        )
    assert Counter(outcomes) == {"booked": 1, "conflict": THREADS - 1}, outcomes
    assert Consultation.objects.filter(expert=expert).count() == 1


def test_concurrent_bookings_of_different_slots_all_succeed():
    expert = _expert()
    start = _start()
    calls = [_book(make_user(), expert, start + timedelta(hours=i)) for i in range(6)]
    outcomes = run_concurrently(calls, ok="booked", conflict="conflict")
    assert outcomes == ["booked"] * 6
    assert Consultation.objects.filter(expert=expert).count() == 6


def test_concurrent_bookings_respect_the_daily_limit():
    expert = _expert()
    Expert.objects.filter(pk=expert.pk).update(max_bookings_per_day=2)
    start = _start()
    calls = [_book(make_user(), expert, start + timedelta(hours=i)) for i in range(6)]
    outcomes = run_concurrently(calls, ok="booked", conflict="conflict")
    assert Counter(outcomes) == {"booked": 2, "conflict": 4}, outcomes


def _deadlock() -> OperationalError:
    # As Django raises it: its OperationalError wrapping psycopg's, which says what it was.
    error = OperationalError("deadlock detected")
    error.__cause__ = DeadlockDetected("deadlock detected")
    return error


def test_a_deadlock_victim_is_booked_again_and_gets_the_real_answer(monkeypatch):
    """PostgreSQL aborts one of two inserts waiting on each other's exclusion check; that
    booking runs again instead of answering 500."""
    expert = _expert()
    start = _start()
    real_book = booking._book
    calls: list[int] = []

    def first_try_deadlocks(*args):
        calls.append(1)
        if len(calls) == 1:
            raise _deadlock()
        return real_book(*args)

    monkeypatch.setattr(booking, "_book", first_try_deadlocks)
    booked = _book(make_user(), expert, start)()
    assert len(calls) == 2
    assert Consultation.objects.get(expert=expert).pk == booked.pk


def test_other_database_errors_and_nested_bookings_are_not_retried(monkeypatch):
    expert = _expert()
    calls: list[int] = []

    def fails(error):
        def run(*args):
            calls.append(1)
            raise error

        return run

    monkeypatch.setattr(booking, "_book", fails(OperationalError("server closed the connection")))
    with pytest.raises(OperationalError):
        _book(make_user(), expert, _start())()
    assert len(calls) == 1

    # Inside a caller's transaction the victim's work is gone with it: nothing to run again.
    calls.clear()
    monkeypatch.setattr(booking, "_book", fails(_deadlock()))
    with pytest.raises(OperationalError), transaction.atomic():
        _book(make_user(), expert, _start())()
    assert len(calls) == 1
