"""Booking changes no tab acknowledged in time are emailed, once."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from consultations.services import booking
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules
from realtime import delivery, stream
from realtime.catalogue import BOOKING_CREATED, NOTIFICATION_READ
from realtime.tasks import check_delivery

pytestmark = [pytest.mark.django_db]


class _Due:
    """The checks waiting in Redis (realtime.delivery.watch), read afresh on every use:
    each with its args and the seconds until it is due."""

    def _read(self) -> list[dict]:
        rows = delivery._due_client().zrange(delivery._due_key(), 0, -1, withscores=True)
        now = time.time()
        return [{"args": json.loads(m), "countdown": round(due - now)} for m, due in rows]

    def __len__(self) -> int:
        return len(self._read())

    def __getitem__(self, i: int) -> dict:
        return self._read()[i]

    def __eq__(self, other: object) -> bool:
        return self._read() == other


@pytest.fixture
def scheduled(settings):
    settings.REALTIME_ACK_TIMEOUT_SECONDS = 45
    client, key = delivery._due_client(), delivery._due_key()
    client.delete(key)
    yield _Due()
    client.delete(key)


@pytest.fixture
def queued(monkeypatch) -> list[list]:
    """check_delivery tasks queued (by sweep_due, or with a countdown without Redis)."""
    calls: list[list] = []
    monkeypatch.setattr(check_delivery, "apply_async", lambda args, **kw: calls.append([args, kw]))
    return calls


def _book(django_capture_on_commit_callbacks):
    expert = scheduling_expert()
    set_rules(expert, every_day("00:00", "24:00"))
    client = make_user(first_name="Cleo", last_name="Client")
    start = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        c = booking.book_consultation(
            user=client, expert_id=expert.pk, start_at=start, duration_minutes=30, topic="Tax"
        )
    mail.outbox.clear()  # the booking's own confirmation emails
    return expert.user, c


def test_a_booking_change_schedules_one_check_per_recipient(
    scheduled, django_capture_on_commit_callbacks
):
    expert_user, c = _book(django_capture_on_commit_callbacks)
    assert len(scheduled) == 1
    user_id, epoch, offset, event_type, summary = scheduled[0]["args"]
    assert scheduled[0]["countdown"] == 45
    assert (user_id, event_type, summary) == (
        expert_user.pk,
        BOOKING_CREATED,
        {"id": c.pk, "topic": "Tax"},
    )
    # The check points at that event in the expert's stream.
    (event, *_later) = stream.get_store().resume(user_id, epoch, offset - 1).events
    assert (event["type"], event["offset"], event["data"]["id"]) == (BOOKING_CREATED, offset, c.pk)


def test_other_events_are_not_watched(scheduled, user, django_capture_on_commit_callbacks):
    from realtime.events import publish_to_user

    with django_capture_on_commit_callbacks(execute=True):
        publish_to_user(user.pk, NOTIFICATION_READ, {"ids": [1], "unread_count": 0})
    assert scheduled == []


def test_acknowledged_in_time_means_no_email(scheduled, django_capture_on_commit_callbacks):
    expert_user, _c = _book(django_capture_on_commit_callbacks)
    args = scheduled[0]["args"]
    stream.get_store().ack(expert_user.pk, args[1], args[2])  # a tab acked it
    assert check_delivery.apply(args=args).get() == "acknowledged"
    assert mail.outbox == []


def test_unacknowledged_is_emailed_once(scheduled, django_capture_on_commit_callbacks):
    expert_user, c = _book(django_capture_on_commit_callbacks)
    args = scheduled[0]["args"]
    stream.get_store().ack(expert_user.pk, args[1], args[2] - 1)  # acked only older events
    assert check_delivery.apply(args=args).get() == "emailed"
    assert check_delivery.apply(args=args).get() == "already_sent"  # a redelivered task
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [expert_user.email]
    assert sent.subject == "New booking: Tax"
    assert f"/consultations/{c.pk}" in sent.body


def test_history_lost_before_the_check_counts_as_unacknowledged(
    scheduled, django_capture_on_commit_callbacks
):
    expert_user, _c = _book(django_capture_on_commit_callbacks)
    args = scheduled[0]["args"]
    stream.get_store().forget(expert_user.pk)
    assert delivery.fall_back_if_unacknowledged(*args) == "emailed"


def test_turned_off_by_a_zero_timeout(settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.REALTIME_ACK_TIMEOUT_SECONDS = 0
    calls = []
    monkeypatch.setattr(check_delivery, "apply_async", lambda *a, **k: calls.append(a))
    _book(django_capture_on_commit_callbacks)
    assert calls == []


def test_due_checks_are_queued_once_and_leave_redis(
    scheduled, queued, django_capture_on_commit_callbacks
):
    _book(django_capture_on_commit_callbacks)
    args = scheduled[0]["args"]
    assert delivery.sweep_due() == 0 and queued == []  # not due for 45 s
    assert delivery.sweep_due(now=time.time() + 46) == 1
    assert queued == [[args, {}]]
    assert scheduled == [] and delivery.sweep_due(now=time.time() + 46) == 0


def test_without_redis_each_check_is_a_task_with_a_countdown(
    scheduled, queued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(delivery, "_due_client", lambda: None)
    _book(django_capture_on_commit_callbacks)
    [[args, options]] = queued
    assert options == {"countdown": 45} and args[3] == BOOKING_CREATED
    assert delivery.sweep_due() == 0
