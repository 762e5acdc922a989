"""Booking changes no tab acknowledged in time are emailed, once."""

from __future__ import annotations

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


@pytest.fixture
def scheduled(monkeypatch, settings):
    settings.REALTIME_ACK_TIMEOUT_SECONDS = 45
    calls: list[dict] = []
    monkeypatch.setattr(
        check_delivery,
        "apply_async",
        lambda args, countdown: calls.append({"args": args, "countdown": countdown}),
    )
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
