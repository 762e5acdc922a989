"""A new booking's follow-ups run in one Celery task, not in the request (issue 12).

The request publishes the live `booking.created` event and queues one task; the task sends
`consultation_created` in the worker, where the expert's notification, both emails and the
webhooks happen, each exactly once, even when the task is delivered again (acks_late,
project/followups.py). Celery is eager in tests; `delay` is intercepted where
a test needs to see what the request alone does.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail, serializers
from kombu.exceptions import OperationalError

from consultations.models import Consultation, Expert
from consultations.services import announce, booking
from consultations.tasks import announce_consultation_created
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules
from notifications import emails as notification_emails
from notifications.models import Notification

# Time is frozen at BOOKING_NOW (fixed_now, consultations/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]

START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def expert():
    e = scheduling_expert(tz="Europe/Paris")
    set_rules(e, every_day("09:00", "18:00"))
    return e


@pytest.fixture
def cleo():
    return make_user(first_name="Cleo", last_name="Client", email="cleo@example.com")


def _book(cleo, expert) -> Consultation:
    return booking.book_consultation(
        user=cleo, expert_id=expert.pk, start_at=START, duration_minutes=30, topic="Tax"
    )


def _created_notes() -> list[Notification]:
    return list(Notification.objects.filter(kind=Notification.Kind.CONSULTATION_CREATED))


def test_a_booking_notifies_emails_and_calls_webhooks_once_through_one_task(
    cleo, expert, django_capture_on_commit_callbacks
):
    task = announce_consultation_created
    with (
        mock.patch.object(task, "delay", wraps=task.delay) as delay,
        # As if the expert had an endpoint (the receiver skips experts with none).
        mock.patch("integrations.services.webhooks.may_have_subscribers", return_value=True),
        mock.patch("integrations.services.webhooks.dispatch") as webhooks,
        django_capture_on_commit_callbacks(execute=True),
    ):
        c = _book(cleo, expert)

    delay.assert_called_once()
    [note] = _created_notes()
    assert note.recipient_id == expert.user_id and note.data["consultation_id"] == c.pk
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["cleo@example.com", expert.user.email])
    webhooks.assert_called_once()
    assert webhooks.call_args.args[0] == "booking.created"
    assert webhooks.call_args.args[1]["id"] == c.pk


def test_the_request_leaves_the_follow_ups_to_the_worker(
    cleo, expert, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(announce_consultation_created, "delay") as delay,
        mock.patch("consultations.services.booking.publish_to_user") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        c = _book(cleo, expert)

    # Live at once: the expert's booking alert.
    publish.assert_called_once()
    assert publish.call_args.args[:2] == (expert.user_id, "booking.created")
    # Nothing else has happened yet...
    assert _created_notes() == [] and mail.outbox == []
    # ...until the worker runs the one queued task.
    (snapshot,) = delay.call_args.args
    with django_capture_on_commit_callbacks(execute=True):
        announce_consultation_created(snapshot)
    assert [n.data["consultation_id"] for n in _created_notes()] == [c.pk]
    assert len(mail.outbox) == 2


def test_the_worker_describes_the_booking_as_it_was_booked(
    cleo, expert, django_capture_on_commit_callbacks
):
    """The expert may confirm before the worker gets to the task: the 'new request'
    notification still says what was booked (the task carries a snapshot, not an id)."""
    with (
        mock.patch.object(announce_consultation_created, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        c = _book(cleo, expert)
    Consultation.objects.filter(pk=c.pk).update(status=Consultation.Status.CONFIRMED)

    with django_capture_on_commit_callbacks(execute=True):
        announce_consultation_created(*delay.call_args.args)
    [note] = _created_notes()
    assert note.title == "New booking request from Cleo Client"
    assert note.data["status"] == "pending"


def test_a_refusing_broker_runs_the_follow_ups_in_the_request(
    cleo, expert, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(
            announce_consultation_created, "delay", side_effect=OperationalError("broker down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        c = _book(cleo, expert)  # must not raise

    assert [n.data["consultation_id"] for n in _created_notes()] == [c.pk]
    assert len(mail.outbox) == 2


def test_with_the_in_memory_layer_the_follow_ups_run_in_the_request(
    cleo, expert, settings, django_capture_on_commit_callbacks
):
    """The embedded default (one process, in-memory channel layer) cannot carry a worker's
    push to the browser, so there the expert's notification is made by the request."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with (
        mock.patch.object(announce_consultation_created, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        c = _book(cleo, expert)

    delay.assert_not_called()
    assert [n.data["consultation_id"] for n in _created_notes()] == [c.pk]
    assert len(mail.outbox) == 2


def test_the_worker_sends_the_emails_itself_and_queues_only_a_failed_one(
    cleo, expert, django_capture_on_commit_callbacks
):
    """Inside the follow-up task the two emails are sent at once, not queued as two more
    tasks; one that fails is queued after all, so Celery's retries still apply."""
    from notifications import emails
    from notifications.tasks import send_consultation_email

    with (
        mock.patch.object(announce_consultation_created, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _book(cleo, expert)
    (snapshot,) = delay.call_args.args
    real = emails.deliver_consultation_email

    def expert_mail_fails(**kw):
        if kw["recipient_id"] == expert.user_id:
            raise OSError("mail server down")
        return real(**kw)

    with (
        mock.patch.object(send_consultation_email, "delay") as queued,
        mock.patch.object(emails, "deliver_consultation_email", side_effect=expert_mail_fails),
        django_capture_on_commit_callbacks(execute=True),
    ):
        announce_consultation_created(snapshot)

    assert [m.to for m in mail.outbox] == [["cleo@example.com"]]  # sent in the task
    queued.assert_called_once()  # only the failed one, for Celery's retries
    assert queued.call_args.args[2] == expert.user_id


def _queued_snapshot(cleo, expert, django_capture_on_commit_callbacks) -> tuple[Consultation, str]:
    with (
        mock.patch.object(announce_consultation_created, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        c = _book(cleo, expert)
    (snapshot,) = delay.call_args.args
    return c, snapshot


def _as_sent(message) -> tuple:
    html = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    invites = [(str(a.get_content_type()), a.get_payload()) for a in message.attachments]
    return (message.to, message.subject, message.body, html, invites)


@pytest.mark.parametrize("confirmed_meanwhile", [False, True])
def test_the_task_sends_the_same_emails_as_the_email_task_reading_afresh(
    cleo, expert, django_capture_on_commit_callbacks, confirmed_meanwhile
):
    """The follow-up task lends the row it read (with people and profiles) to its emails
    instead of each email reading it again: same recipients, subjects, bodies and invite
    as the stand-alone email task, which reads everything itself (the retry path)."""
    from notifications.tasks import send_consultation_email

    cleo.profile.display_name = "Cleo C."
    cleo.profile.time_format = "12h"
    cleo.profile.save()
    c, snapshot = _queued_snapshot(cleo, expert, django_capture_on_commit_callbacks)
    if confirmed_meanwhile:  # the email checks the row as it is now: confirmed, with invite
        Consultation.objects.filter(pk=c.pk).update(status=Consultation.Status.CONFIRMED)

    with django_capture_on_commit_callbacks(execute=True):
        announce_consultation_created(snapshot)
    sent_by_task = sorted(_as_sent(m) for m in mail.outbox)
    mail.outbox.clear()
    for user_id in (cleo.pk, expert.user_id):
        send_consultation_email("booking_confirmation", c.pk, user_id, "created")
    read_afresh = sorted(_as_sent(m) for m in mail.outbox)

    assert len(sent_by_task) == 2
    assert sent_by_task == read_afresh
    assert any("Cleo C." in body for _, _, body, _, _ in sent_by_task)
    assert bool(sent_by_task[0][4]) is confirmed_meanwhile  # the invite only once confirmed


def test_a_booking_cancelled_before_the_worker_gets_no_confirmation_email(
    cleo, expert, django_capture_on_commit_callbacks
):
    c, snapshot = _queued_snapshot(cleo, expert, django_capture_on_commit_callbacks)
    Consultation.objects.filter(pk=c.pk).update(status=Consultation.Status.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        announce_consultation_created(snapshot)
    assert mail.outbox == []
    assert len(_created_notes()) == 1  # the notification describes the booking as booked


def test_an_inactive_recipient_gets_no_email_from_the_task(
    cleo, expert, django_capture_on_commit_callbacks
):
    _, snapshot = _queued_snapshot(cleo, expert, django_capture_on_commit_callbacks)
    type(cleo).objects.filter(pk=cleo.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        announce_consultation_created(snapshot)
    assert [m.to for m in mail.outbox] == [[expert.user.email]]


def test_webhooks_reach_each_subscribed_endpoint_once_and_skip_experts_without_any(
    cleo, expert, django_capture_on_commit_callbacks
):
    from integrations.models import WebhookDelivery, WebhookEndpoint

    other = scheduling_expert(tz="UTC")
    WebhookEndpoint.objects.create(
        owner=other.user,
        expert=other,
        url="https://hooks.example.com/a",
        events=["booking.created"],
        secret="s",
    )
    with mock.patch("integrations.services.webhooks._queue"):
        c, snapshot = _queued_snapshot(cleo, expert, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            announce_consultation_created(snapshot)
        assert not WebhookDelivery.objects.exists()  # another expert's endpoint: not told

        mine = WebhookEndpoint.objects.create(
            owner=expert.user,
            expert=expert,
            url="https://hooks.example.com/b",
            events=["booking.created"],
            secret="s",
        )
        with django_capture_on_commit_callbacks(execute=True):
            announce_consultation_created(snapshot)
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.endpoint_id == mine.pk and delivery.event_type == "booking.created"
    assert delivery.payload["data"]["id"] == c.pk


# --------------------------------------------------------------------------- redelivery


class _WorkerKilled(BaseException):
    """Stands for SIGKILL: no `except Exception` in the task stops it."""


@pytest.fixture(params=["locmem", "redis"])
def records_cache(request, settings):
    """The follow-up records in the test cache (locmem) and in Redis (production's)."""
    if request.param == "locmem":
        yield
        return
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
            "KEY_PREFIX": f"followups-test-{uuid.uuid4().hex}",
        }
    }
    from django.core.cache import cache

    yield
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{cache.key_prefix}:*"):
        client.delete(key)


def _snapshot(cleo, expert, django_capture_on_commit_callbacks) -> tuple[Consultation, str]:
    with (
        mock.patch.object(announce_consultation_created, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        c = _book(cleo, expert)
    return c, delay.call_args.args[0]


@contextmanager
def _webhooks() -> Iterator[mock.MagicMock]:
    """Webhook dispatch recorded, as if the expert had an endpoint."""
    with (
        mock.patch("integrations.services.webhooks.may_have_subscribers", return_value=True),
        mock.patch("integrations.services.webhooks.dispatch") as dispatch,
    ):
        yield dispatch


def _assert_announced_once(c: Consultation, expert: Expert, webhooks: mock.MagicMock) -> None:
    """One notification, one email to each person and one webhook call for booking `c`."""
    assert [n.data["consultation_id"] for n in _created_notes()] == [c.pk]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["cleo@example.com", expert.user.email])
    webhooks.assert_called_once()


def _deliver(snapshot: str, task_id: str) -> None:
    """One delivery of the task's message; a redelivery carries the same task id."""
    announce_consultation_created.apply(args=[snapshot], task_id=task_id, throw=True)


def test_a_booking_whose_id_comes_back_is_announced_again(
    cleo, expert, django_capture_on_commit_callbacks, records_cache
):
    """A database recreated with its records kept (a reset, the e2e runs) gives the next
    booking an id seen before: a new message, so its follow-ups all run."""
    c, snapshot = _snapshot(cleo, expert, django_capture_on_commit_callbacks)
    for delivery in ("delivery-1", "delivery-2"):  # two messages for the same booking id
        with django_capture_on_commit_callbacks(execute=True):
            _deliver(snapshot, delivery)
    assert [n.data["consultation_id"] for n in _created_notes()] == [c.pk, c.pk]
    assert len(mail.outbox) == 4


def test_a_redelivered_task_repeats_no_follow_up(
    cleo, expert, django_capture_on_commit_callbacks, records_cache
):
    """acks_late: a worker that dies after the task ran but before acknowledging it gets
    the same message delivered again."""
    c, snapshot = _snapshot(cleo, expert, django_capture_on_commit_callbacks)
    with _webhooks() as webhooks:
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                _deliver(snapshot, "delivery-1")

    _assert_announced_once(c, expert, webhooks)


def test_a_task_killed_midway_does_the_rest_once_when_redelivered(
    cleo, expert, django_capture_on_commit_callbacks, records_cache
):
    """Killed after the notification and the first email: the redelivery sends the second
    email, and repeats neither the notification, the first email nor the webhooks (which
    run before the emails here: the test's transaction holds the emails until its end)."""
    c, snapshot = _snapshot(cleo, expert, django_capture_on_commit_callbacks)
    send = notification_emails.send_messages
    sent: list[int] = []

    def killed_on_the_second(messages):
        if sent:
            raise _WorkerKilled
        sent.append(1)
        return send(messages)

    with _webhooks() as webhooks:
        with (
            mock.patch.object(notification_emails, "send_messages", killed_on_the_second),
            pytest.raises(_WorkerKilled),
            django_capture_on_commit_callbacks(execute=True),
        ):
            _deliver(snapshot, "delivery-1")
        assert len(_created_notes()) == 1 and len(mail.outbox) == 1

        with django_capture_on_commit_callbacks(execute=True):
            _deliver(snapshot, "delivery-1")

    _assert_announced_once(c, expert, webhooks)


def test_another_booking_is_not_taken_for_a_redelivery(
    cleo, expert, django_capture_on_commit_callbacks, records_cache
):
    _, first = _snapshot(cleo, expert, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(first, "delivery-1")
    with (
        mock.patch.object(announce_consultation_created, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        second = booking.book_consultation(
            user=cleo,
            expert_id=expert.pk,
            start_at=START.replace(hour=11),
            duration_minutes=30,
            topic="Tax",
        )
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(delay.call_args.args[0], "delivery-2")
    assert len(_created_notes()) == 2 and len(mail.outbox) == 4
    assert {n.data["consultation_id"] for n in _created_notes()} >= {second.pk}


def test_the_snapshot_is_the_text_djangos_json_serializer_writes(cleo, expert):
    c = _book(cleo, expert)
    c.topic = 'Impôts «2026» \u2014 "quotes", back\\slash, emoji \U0001f600'
    c.notes = "line\nbreak\ttab"
    c.confirmed_at = datetime(2026, 3, 1, 8, 7, 6, 543210, tzinfo=UTC)
    c.policy = {"tiers": [{"notice_hours": 24, "refund_percent": 100}], "label": "Flexible ✓"}
    assert announce.snapshot(c) == serializers.serialize("json", [c])
    restored, _current = announce.load(announce.snapshot(c))
    assert (restored.topic, restored.notes, restored.policy) == (c.topic, c.notes, c.policy)


def test_the_message_does_not_repeat_the_snapshot_for_logs_and_monitoring():
    """Celery would write a repr of the snapshot (the client's notes) into the message."""
    with mock.patch("celery.app.task.Task.apply_async") as sent:
        announce_consultation_created.delay('{"notes": "private"}')
    options = sent.call_args.kwargs
    assert sent.call_args.args[0] == ('{"notes": "private"}',)  # the task still gets it
    assert "private" not in options["argsrepr"] and options["kwargsrepr"] == "{}"
