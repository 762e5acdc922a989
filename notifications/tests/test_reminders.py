"""Reminders (notifications.reminders, notifications.tasks): each sent exactly once.

Time is frozen with time_machine; the tasks run through Celery (eagerly here, and through
a real worker against Redis in the slow test at the end).
"""

# ruff: noqa: RUF001 (expected strings use the en dash the output really uses)
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_string
from pathlib import Path
from smtplib import SMTPServerDisconnected
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from icalendar import Calendar

from consultations.models import Consultation, ConsultationReminder
from consultations.tests.factories import make_consultation, make_expert, make_user
from notifications import reminders
from notifications.calendar import invite_uid
from notifications.models import Notification
from notifications.tasks import check_upcoming_consultations, send_consultation_reminders

Status = ConsultationReminder.Status
START = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


# disable_sync_subtasks=False: an eager task sets a process-wide "inside a task" flag
# (celery.result.denied_join_result); with eager tasks in two threads it can stay set,
# and .get() would then refuse to run.
def run_reminders() -> dict[str, int]:
    return send_consultation_reminders.delay().get(disable_sync_subtasks=False)


def run_check() -> dict[str, int]:
    return check_upcoming_consultations.delay().get(disable_sync_subtasks=False)


@pytest.fixture
def people():
    client = make_user(first_name="Uma", last_name="User", email="uma@example.com")
    expert = make_expert(
        make_user(first_name="Erin", last_name="Expert", email="erin@example.com"),
        name="Erin Expert",
        timezone="Europe/Paris",
    )
    return client, expert


@pytest.fixture
def consultation(db, people) -> Consultation:
    client, expert = people
    return make_consultation(user=client, expert=expert, start_at=START)


def reminder_mails() -> list:
    return [m for m in mail.outbox if m.subject.startswith("Reminder:")]


def recipients_of(messages) -> list[str]:
    return sorted(m.to[0] for m in messages)


# --------------------------------------------------------------------------- basics


@pytest.mark.django_db
def test_24h_reminder_goes_out_once_even_when_the_task_runs_twice(consultation):
    with at(START - timedelta(hours=24) + timedelta(minutes=2)):
        first = run_reminders()
        second = run_reminders()
    assert first["claimed"] == 1 and first["sent"] == 1
    assert second["claimed"] == 0 and second["sent"] == 0
    messages = reminder_mails()
    assert recipients_of(messages) == ["erin@example.com", "uma@example.com"]
    assert sorted(m.subject for m in messages) == [
        "Reminder: your consultation starts in 24 hours (Tue 4 Mar, 10:00 UTC)",
        "Reminder: your consultation starts in 24 hours (Tue 4 Mar, 11:00 CET)",
    ]
    [row] = ConsultationReminder.objects.filter(consultation=consultation)
    assert (row.kind, row.status, row.scheduled_for, row.attempts) == ("24h", "sent", START, 1)
    assert row.sent_at is not None
    # In-app too, for both sides.
    notes = Notification.objects.filter(kind=Notification.Kind.CONSULTATION_REMINDER)
    assert sorted(n.recipient.email for n in notes) == ["erin@example.com", "uma@example.com"]


@pytest.mark.django_db
def test_reminder_email_carries_the_invite_with_the_right_times(consultation):
    with at(START - timedelta(minutes=50)):
        run_reminders()
    for message in reminder_mails():
        part = next(p for p in message.message().walk() if p.get_content_type() == "text/calendar")
        event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
        assert event.decoded("dtstart") == START
        assert event.decoded("dtend") == consultation.end_at
        assert str(event["uid"]) == invite_uid(consultation)
        assert consultation.meeting_room_id in str(event["location"])
        # Sent 50 minutes before: it says 50 minutes, not "1 hour".
        assert message.subject.startswith("Reminder: your consultation starts in 50 minutes (")
    [to_expert] = [m for m in reminder_mails() if m.to == ["erin@example.com"]]
    assert "Tue 4 Mar, 11:00–12:00 CET" in to_expert.body


@pytest.mark.django_db
def test_nothing_before_the_window(consultation):
    with at(START - timedelta(hours=24, minutes=1)):
        assert run_reminders()["claimed"] == 0
    assert mail.outbox == [] and not ConsultationReminder.objects.exists()


@pytest.mark.django_db
def test_a_day_of_task_runs_sends_exactly_the_24h_and_the_1h_reminders(consultation):
    moments = [
        START - timedelta(hours=30),
        START - timedelta(hours=24),  # the 24h window opens
        START - timedelta(hours=23, minutes=55),
        START - timedelta(hours=3),
        START - timedelta(minutes=60),  # the 1h window opens
        START - timedelta(minutes=55),
        START - timedelta(minutes=1),
        START + timedelta(minutes=5),  # started: nothing more
    ]
    for moment in moments:
        with at(moment):
            run_reminders()
            run_check()
    rows = ConsultationReminder.objects.filter(consultation=consultation).order_by("kind")
    assert [(r.kind, r.status) for r in rows] == [("1h", "sent"), ("24h", "sent")]
    subjects = sorted(m.subject for m in reminder_mails())
    assert subjects == [
        "Reminder: your consultation starts in 1 hour (Tue 4 Mar, 10:00 UTC)",
        "Reminder: your consultation starts in 1 hour (Tue 4 Mar, 11:00 CET)",
        "Reminder: your consultation starts in 24 hours (Tue 4 Mar, 10:00 UTC)",
        "Reminder: your consultation starts in 24 hours (Tue 4 Mar, 11:00 CET)",
    ]


@pytest.mark.django_db
def test_a_24h_reminder_missed_until_the_1h_window_is_dropped(consultation):
    # The scheduler was down all day: only the 1h reminder still makes sense.
    with at(START - timedelta(minutes=30)):
        run_reminders()
    assert [r.kind for r in ConsultationReminder.objects.all()] == ["1h"]
    assert len(reminder_mails()) == 2


# --------------------------------------------------------------------------- stale state


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["cancelled", "pending", "completed", "no_show"])
def test_only_confirmed_consultations_get_reminders(people, status):
    client, expert = people
    make_consultation(user=client, expert=expert, start_at=START, status=status)
    with at(START - timedelta(minutes=30)):
        assert run_reminders()["claimed"] == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_cancelled_between_claim_and_send_is_skipped_and_never_retried(consultation):
    with at(START - timedelta(minutes=30)):
        reminder_id = reminders.claim_reminder(
            consultation_id=consultation.pk, kind="1h", scheduled_for=START
        )
        Consultation.objects.filter(pk=consultation.pk).update(status="cancelled")
        assert reminders.deliver_reminder(reminder_id) == "skipped"
    with at(START - timedelta(minutes=5)):
        run_reminders()
        run_check()
    row = ConsultationReminder.objects.get(pk=reminder_id)
    assert row.status == "skipped" and "cancelled" in row.last_error
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_rescheduled_consultation_is_reminded_only_for_its_new_time(people):
    client, expert = people
    old = make_consultation(user=client, expert=expert, start_at=START)
    with at(START - timedelta(hours=23)):
        run_reminders()  # the old time's 24h reminder went out before the move
    assert len(reminder_mails()) == 2
    mail.outbox.clear()

    new_start = START + timedelta(days=2)
    Consultation.objects.filter(pk=old.pk).update(status="cancelled")
    new = make_consultation(user=client, expert=expert, start_at=new_start, rescheduled_from=old)

    for moment in (
        START - timedelta(minutes=30),  # the old 1h reminder would be due now
        new_start - timedelta(hours=23),
        new_start - timedelta(minutes=30),
    ):
        with at(moment):
            run_reminders()
            run_check()
    assert not ConsultationReminder.objects.filter(consultation=old, kind="1h").exists()
    new_rows = ConsultationReminder.objects.filter(consultation=new, status="sent")
    assert sorted(r.kind for r in new_rows) == ["1h", "24h"]
    assert len(reminder_mails()) == 4
    for message in reminder_mails():
        part = next(p for p in message.message().walk() if p.get_content_type() == "text/calendar")
        event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
        assert str(event["uid"]) == invite_uid(new)
        assert event.decoded("dtstart") == new_start


@pytest.mark.django_db
def test_a_consultation_moved_in_place_gets_fresh_reminders_and_no_stale_one(consultation):
    with at(START - timedelta(hours=23)):
        run_reminders()
        # Claimed for the old time by a worker that then died:
        stale_id = reminders.claim_reminder(
            consultation_id=consultation.pk, kind="1h", scheduled_for=START
        )
    new_start = START + timedelta(hours=6)
    Consultation.objects.filter(pk=consultation.pk).update(
        start_at=new_start, end_at=new_start + timedelta(hours=1)
    )
    with at(new_start - timedelta(minutes=45)):
        result = run_reminders()
        check = run_check()
    assert result["sent"] == 1  # the 1h reminder for the new time
    assert check["retry_skipped"] == 1  # the old-time claim is dropped, not sent
    assert ConsultationReminder.objects.get(pk=stale_id).status == "skipped"
    assert sorted(
        (r.kind, r.scheduled_for) for r in consultation.reminders.filter(status="sent")
    ) == [
        ("1h", new_start),
        ("24h", START),
    ]
    assert len(reminder_mails()) == 4


# --------------------------------------------------------------------------- crashes and retries


@pytest.mark.django_db
def test_a_claim_left_by_a_killed_worker_is_sent_once_by_the_sweep(consultation):
    claimed_at = START - timedelta(minutes=50)
    with at(claimed_at):
        # What a worker killed after claiming leaves behind: a claim, no email.
        reminders.claim_reminder(consultation_id=consultation.pk, kind="1h", scheduled_for=START)
        rerun = run_reminders()  # e.g. the task redelivered by acks_late: skips the claim
        assert rerun["claimed"] == 0 and rerun["sent"] == 0
    with at(claimed_at + timedelta(minutes=5)):
        assert run_check()["retry_sent"] == 0  # too fresh: its worker may still be alive
    assert mail.outbox == []
    with at(claimed_at + reminders.retry_after() + timedelta(minutes=1)):
        assert run_check()["retry_sent"] == 1
        assert run_check()["retry_sent"] == 0
        assert run_reminders()["sent"] == 0
    assert len(reminder_mails()) == 2
    assert ConsultationReminder.objects.get().status == "sent"


@pytest.mark.django_db
def test_a_failed_send_is_rolled_back_and_retried_later(consultation, monkeypatch):
    from notifications import emails

    real_send = emails.send_messages

    def broken(messages):
        raise SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(emails, "send_messages", broken)
    with at(START - timedelta(minutes=55)):
        assert run_reminders()["failed"] == 1
    row = ConsultationReminder.objects.get()
    assert row.status == "claimed" and row.attempts == 1
    assert "SMTPServerDisconnected" in row.last_error
    assert not Notification.objects.exists()  # the in-app part rolled back with it
    assert mail.outbox == []

    monkeypatch.setattr(emails, "send_messages", real_send)
    with at(START - timedelta(minutes=55) + reminders.retry_after() + timedelta(seconds=1)):
        assert run_check()["retry_sent"] == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2
    assert len(reminder_mails()) == 2
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_the_sweep_gives_up_after_max_attempts(consultation, monkeypatch, settings):
    from notifications import emails

    settings.REMINDER_MAX_ATTEMPTS = 2
    monkeypatch.setattr(emails, "send_messages", lambda messages: 1 / 0)
    moment = START - timedelta(minutes=59)
    with at(moment):
        run_reminders()
    with at(moment + reminders.retry_after() + timedelta(seconds=1)):
        run_check()
    with at(moment + 2 * reminders.retry_after() + timedelta(seconds=2)):
        assert run_check()["retry_busy"] == 0
    row = ConsultationReminder.objects.get()
    assert row.status == "failed" and row.attempts == 2


# --------------------------------------------------------------------------- concurrency


def _in_thread(target, results: list, errors: list) -> threading.Thread:
    def body():
        try:
            results.append(target())
        except BaseException as exc:  # surfaced by the test below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_run_overlapping_a_run_that_is_still_sending_sends_nothing(consultation, monkeypatch):
    from notifications import emails

    real_send = emails.send_messages
    in_send, may_finish = threading.Event(), threading.Event()

    def slow_send(messages):
        in_send.set()
        assert may_finish.wait(timeout=20)
        return real_send(messages)

    monkeypatch.setattr(emails, "send_messages", slow_send)
    results: list = []
    errors: list = []
    with at(START - timedelta(minutes=40)):
        first = _in_thread(run_reminders, results, errors)
        assert in_send.wait(timeout=20), "the first run never reached the send"
        monkeypatch.setattr(emails, "send_messages", real_send)
        overlapping = run_reminders()  # the claim is committed: this run must skip it
        swept = run_check()
        may_finish.set()
        first.join(timeout=30)
    assert not errors
    assert overlapping["claimed"] == 0 and overlapping["sent"] == 0
    assert swept["retry_sent"] == 0
    assert results[0]["sent"] == 1
    assert recipients_of(reminder_mails()) == ["erin@example.com", "uma@example.com"]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_a_row_a_live_worker_holds(consultation, monkeypatch):
    from notifications import emails

    real_send = emails.send_messages
    in_send, may_finish = threading.Event(), threading.Event()

    def slow_send(messages):
        in_send.set()
        assert may_finish.wait(timeout=20)
        return real_send(messages)

    monkeypatch.setattr(emails, "send_messages", slow_send)
    claimed_at = START - timedelta(minutes=58)
    with at(claimed_at):
        reminder_id = reminders.claim_reminder(
            consultation_id=consultation.pk, kind="1h", scheduled_for=START
        )
    results: list = []
    errors: list = []
    # A slow sender (e.g. a worker retrying the send) holds the row's lock ...
    with at(claimed_at + reminders.retry_after() + timedelta(minutes=1)):
        holder = _in_thread(lambda: reminders.deliver_reminder(reminder_id), results, errors)
        assert in_send.wait(timeout=20)
        monkeypatch.setattr(emails, "send_messages", real_send)
        # ... so a concurrent sweep sees it as busy instead of sending it a second time.
        swept = run_check()
        may_finish.set()
        holder.join(timeout=30)
    assert not errors
    assert swept["retry_busy"] == 1 and swept["retry_sent"] == 0
    assert results == ["sent"]
    assert len(reminder_mails()) == 2


@pytest.mark.django_db(transaction=True)
def test_many_runs_racing_in_threads_send_each_reminder_once(people):
    client, expert = people
    consultations = [
        make_consultation(
            user=client, expert=expert, start_at=START + timedelta(hours=2 * i), minutes=60
        )
        for i in range(3)
    ]
    barrier = threading.Barrier(4)

    def racer():
        barrier.wait(timeout=20)
        return run_reminders()

    results: list = []
    errors: list = []
    # 24h window for all three consultations.
    with at(START - timedelta(hours=20)):
        threads = [_in_thread(racer, results, errors) for _ in range(4)]
        for thread in threads:
            thread.join(timeout=60)
    assert not errors
    assert sum(r["sent"] for r in results) == 3
    assert sum(r["claimed"] for r in results) == 3
    assert ConsultationReminder.objects.filter(status="sent").count() == 3
    assert len(reminder_mails()) == 6  # 3 consultations x 2 people
    assert len({c.pk for c in consultations}) == 3


# --------------------------------------------------------------------------- wiring


def test_tasks_are_registered_under_the_beat_schedule_names_and_ack_late():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for task in (send_consultation_reminders, check_upcoming_consultations):
        assert task.name in scheduled
        assert task.acks_late is True


# --------------------------------------------------------------------------- real worker

BROKER = os.environ.get("TEST_WORKER_BROKER_URL", "redis://127.0.0.1:6379/7")
TASK_SEND = "notifications.tasks.send_consultation_reminders"
TASK_CHECK = "notifications.tasks.check_upcoming_consultations"


def _worker_database_url() -> str:
    # The worker must see this test's database (test_<name>), not the dev one.
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def _start_worker(tmp_path: Path, queue: str, name: str, **env: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.test_worker",
        "DATABASE_URL": _worker_database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "project", "worker", "--queues", queue]
    command += ["--hostname", f"{name}-{queue}@%h", "--pool", "prefork", "--concurrency", "2"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
    with (tmp_path / f"{name}.log").open("w") as log:
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we stop it and its children
        )


def _stop_worker(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    if sig == signal.SIGKILL:
        # A killed pool can leave orphans in the group; make sure none outlive the test.
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _clean_broker(queue: str, results: list) -> None:
    import redis

    client = redis.Redis.from_url(BROKER)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    # Drop what a killed worker left unacknowledged on this queue (and only this queue).
    unacked = cast(dict[bytes, bytes], client.hgetall("unacked"))  # sync client: a dict
    for tag, payload in unacked.items():
        if queue.encode() in payload:
            client.hdel("unacked", tag.decode())
            client.zrem("unacked_index", tag)
    for result in results:
        result.forget()
    client.close()


def _wait_for(predicate, timeout: float, what: str, logs: Path) -> None:
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not predicate():
            if deadline.wait(0.1):
                raise AssertionError(f"timed out waiting for {what}; {_logs(logs)}")
    finally:
        timer.cancel()


def _sent_mail(directory: Path) -> list:
    messages = []
    for path in sorted(directory.glob("*.log")):
        # The file backend writes each message followed by a line of 79 dashes.
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(message_from_string(chunk.strip()))
    return [m for m in messages if m["Subject"].startswith("Reminder:")]


@pytest.fixture
def probe():
    from celery import Celery

    # set_as_current=False: otherwise every later .delay() in this process would go to
    # this app's broker instead of running eagerly.
    app = Celery("h7-probe", broker=BROKER, backend=BROKER, set_as_current=False)
    yield app
    app.close()


# Generous bounds: on a loaded 2-core machine a Django worker can take a while to boot.
WORKER_TIMEOUT = 180


def _result(async_result, logs: Path) -> dict[str, int]:
    from celery.exceptions import TimeoutError as CeleryTimeout

    try:
        return async_result.get(timeout=WORKER_TIMEOUT, disable_sync_subtasks=False)
    except CeleryTimeout:
        raise AssertionError(f"no result within {WORKER_TIMEOUT}s; {_logs(logs)}") from None


def _logs(directory: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in directory.glob("*.log"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_each_reminder_exactly_once(people, tmp_path, probe):
    client, expert = people
    start = (timezone.now() + timedelta(minutes=40)).replace(second=0, microsecond=0)
    consultation = make_consultation(user=client, expert=expert, start_at=start)
    # Booked well before the 1 h reminder's moment, so that reminder is owed.
    Consultation.objects.filter(pk=consultation.pk).update(created_at=start - timedelta(days=2))
    queue = f"h7-reminders-{uuid.uuid4().hex[:12]}"
    worker = _start_worker(tmp_path, queue, "worker")
    results: list = []
    try:
        # Three runs at once on two worker processes: a rerun and an overlap in one go.
        results += [probe.send_task(TASK_SEND, queue=queue) for _ in range(3)]
        outcomes = [_result(r, tmp_path) for r in results]
        results.append(probe.send_task(TASK_CHECK, queue=queue))
        check = _result(results[-1], tmp_path)
    finally:
        _stop_worker(worker)
        _clean_broker(queue, results)

    assert sum(o["claimed"] for o in outcomes) == 1, _logs(tmp_path)
    assert sum(o["sent"] for o in outcomes) == 1
    assert check["retry_sent"] == 0
    [row] = ConsultationReminder.objects.filter(consultation=consultation)
    assert (row.kind, row.status, row.attempts) == ("1h", "sent", 1)
    sent = _sent_mail(tmp_path / "mail")
    assert sorted(m["To"] for m in sent) == ["erin@example.com", "uma@example.com"]


def _claim_unlocked() -> bool:
    with transaction.atomic():
        claimed = ConsultationReminder.objects.select_for_update(skip_locked=True)
        return claimed.filter(status="claimed").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_is_recovered_with_one_email(people, tmp_path, probe):
    client, expert = people
    start = (timezone.now() + timedelta(minutes=40)).replace(second=0, microsecond=0)
    consultation = make_consultation(user=client, expert=expert, start_at=start)
    # Booked well before the 1 h reminder's moment, so that reminder is owed.
    Consultation.objects.filter(pk=consultation.pk).update(created_at=start - timedelta(days=2))
    queue = f"h7-reminders-{uuid.uuid4().hex[:12]}"
    marker = tmp_path / "in-send"
    doomed = _start_worker(
        tmp_path,
        queue,
        "doomed",
        WORKER_EMAIL_BACKEND="consultations.tests.hanging_email_backend.EmailBackend",
        HANG_MARKER=str(marker),
    )
    results: list = []
    survivor = None
    try:
        results.append(probe.send_task(TASK_SEND, queue=queue))
        _wait_for(marker.exists, WORKER_TIMEOUT, what="the worker to reach the send", logs=tmp_path)
        _stop_worker(doomed, signal.SIGKILL)  # dies after claiming, in the middle of sending
        # PostgreSQL rolls the dead worker's transaction back and frees the row lock.
        _wait_for(_claim_unlocked, timeout=60, what="the dead worker's lock", logs=tmp_path)
        assert ConsultationReminder.objects.get().status == "claimed"  # the claim survived
        assert not (tmp_path / "mail").exists()

        survivor = _start_worker(tmp_path, queue, "survivor", REMINDER_RETRY_AFTER_MINUTES="0")
        results.append(probe.send_task(TASK_SEND, queue=queue))
        rerun = _result(results[-1], tmp_path)
        results += [probe.send_task(TASK_CHECK, queue=queue) for _ in range(2)]
        sweeps = [_result(r, tmp_path) for r in results[-2:]]
    finally:
        _stop_worker(doomed, signal.SIGKILL)
        if survivor is not None:
            _stop_worker(survivor)
        _clean_broker(queue, results)

    assert rerun["claimed"] == 0 and rerun["sent"] == 0  # the claim blocks a second send
    assert sum(s["retry_sent"] for s in sweeps) == 1, (sweeps, _logs(tmp_path))
    [row] = ConsultationReminder.objects.filter(consultation=consultation)
    assert (row.status, row.attempts) == ("sent", 1)
    sent = _sent_mail(tmp_path / "mail")
    assert sorted(m["To"] for m in sent) == ["erin@example.com", "uma@example.com"]


# --------------------------------------------------------------------------- truthful labels


def _beat_until(start: datetime, since: datetime) -> None:
    """Beat every 5 minutes from `since` until the start (skipping the quiet middle of long
    leads, where nothing is due)."""
    moment = since
    while moment < start:
        with at(moment):
            reminders.send_due_reminders()
        step = timedelta(minutes=5)
        quiet_until = start - timedelta(hours=24, minutes=10)
        moment = quiet_until if moment + step < quiet_until else moment + step


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ahead", "expected"),
    [
        (timedelta(minutes=30), []),
        (timedelta(minutes=75), ["1 hour"]),
        (timedelta(hours=5), ["1 hour"]),
        (timedelta(hours=23), ["1 hour"]),
        (timedelta(days=3), ["1 hour", "24 hours"]),
    ],
    ids=["30min", "75min", "5h", "23h", "3days"],
)
def test_a_reminder_whose_moment_passed_before_the_booking_is_skipped(people, ahead, expected):
    """Booked 75 minutes ahead: no "24 hours" reminder at once, only the true 1-hour one."""
    client, expert = people
    booked_at = START - ahead
    with at(booked_at):
        consultation = make_consultation(user=client, expert=expert, start_at=START)
    assert consultation.created_at == booked_at
    _beat_until(START, booked_at)
    leads = sorted(
        m.subject.split("starts in ")[1].split(" (")[0]
        for m in reminder_mails()
        if m.to == ["uma@example.com"]
    )
    assert leads == expected
    sent = sorted(r.kind for r in ConsultationReminder.objects.filter(status="sent"))
    assert sent == sorted({"1 hour": "1h", "24 hours": "24h"}[lead] for lead in expected)
    titles = sorted(
        n.title for n in Notification.objects.filter(kind=Notification.Kind.CONSULTATION_REMINDER)
    )
    assert titles == sorted(f"Your consultation starts in {lead}" for lead in expected * 2)


@pytest.mark.django_db
def test_a_late_sweep_states_the_real_lead_time(consultation):
    """The 24 h reminder sent 5 hours late (the scheduler was down) says so."""
    with at(START - timedelta(hours=19)):
        run_reminders()
    [subject] = {m.subject for m in reminder_mails() if m.to == ["uma@example.com"]}
    assert subject == "Reminder: your consultation starts in 19 hours (Tue 4 Mar, 10:00 UTC)"


@pytest.mark.django_db
def test_reminder_emails_honour_the_preference(consultation):
    from accounts.models import Profile

    Profile.objects.filter(user__email="uma@example.com").update(email_reminder=False)
    with at(START - timedelta(minutes=59)):
        run_reminders()
    assert recipients_of(reminder_mails()) == ["erin@example.com"]
    # In-app still arrives for both.
    assert Notification.objects.filter(kind=Notification.Kind.CONSULTATION_REMINDER).count() == 2
