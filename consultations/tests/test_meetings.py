"""consultations/services/meetings.py and the meeting endpoints (views/meetings.py).

Covers the join link, start/end transitions, every refusal (outsiders, wrong status, outside
the join window), the stale-meeting cleanup rules and the Celery task that runs them.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal

import jwt
import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection, transaction

from consultations.models import Consultation
from consultations.services.meetings import (
    EXPIRED_UNCONFIRMED_REASON,
    close_stale_meetings,
    end_meeting,
    start_meeting,
)
from consultations.signals import consultation_status_changed
from consultations.tests.factories import make_consultation, make_expert
from consultations.tests.scheduling_helpers import MEETING_START
from project.api_errors import NotAllowed

pytestmark = pytest.mark.django_db

START = MEETING_START  # the shared `consultation` fixture's start (conftest.py)
END = START + timedelta(minutes=60)
OPENS = START - timedelta(minutes=10)
CLOSES = END + timedelta(minutes=30)
SECRET = "test-jitsi-secret-that-is-long-enough-for-hs256"


def link_url(pk: int) -> str:
    return f"/api/v1/consultations/consultations/{pk}/meeting-link/"


def start_url(pk: int) -> str:
    return f"/api/v1/consultations/consultations/{pk}/start/"


def end_url(pk: int) -> str:
    return f"/api/v1/consultations/consultations/{pk}/end/"


@pytest.fixture(autouse=True)
def _jitsi_settings(settings):
    settings.JITSI_DOMAIN = "meet.jit.si"
    settings.JITSI_APP_ID = "consult-app"
    settings.JITSI_SECRET = SECRET
    settings.JITSI_USE_JWT = False
    settings.JITSI_JOIN_BEFORE_MINUTES = 10
    settings.JITSI_GRACE_AFTER_MINUTES = 30


@pytest.fixture
def expert(make_user):
    return make_expert(user=make_user(first_name="Erin", last_name="Expert"), name="Erin Expert")


@pytest.fixture
def status_changes():
    seen: list[dict] = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    consultation_status_changed.connect(receiver, weak=False)
    yield seen
    consultation_status_changed.disconnect(receiver)


@pytest.fixture
def outsiders(other_user, staff_user, make_user):
    # A stranger, an admin and another expert: none of them is a participant.
    return [other_user, staff_user, make_expert(user=make_user()).user]


def assert_refused(response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code
    for word in words:
        assert word in body["error"]["message"]
    assert body["detail"] == body["error"]["message"]


# --- meeting link -------------------------------------------------------------------------


@time_machine.travel(START - timedelta(minutes=5), tick=False)
def test_participants_get_the_link_with_its_join_window(client_for, consultation, user, expert):
    for who, moderator in ((user, False), (expert.user, True)):
        response = client_for(who).get(link_url(consultation.pk))
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["url"] == f"https://meet.jit.si/{consultation.meeting_room_id}"
        assert body["room"] == consultation.meeting_room_id
        assert body["domain"] == "meet.jit.si"
        assert body["token"] is None and body["jwt_enabled"] is False
        assert body["is_moderator"] is moderator
        assert datetime.fromisoformat(body["join_opens_at"]) == OPENS
        assert datetime.fromisoformat(body["join_closes_at"]) == CLOSES


@time_machine.travel(START, tick=False)
def test_link_carries_a_jwt_when_enabled(client_for, consultation, expert, settings):
    settings.JITSI_USE_JWT = True
    body = client_for(expert.user).get(link_url(consultation.pk)).json()
    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"], audience="jitsi")
    assert claims["room"] == consultation.meeting_room_id
    assert claims["context"]["user"]["moderator"] is True
    assert body["url"].endswith(f"?jwt={body['token']}")


@time_machine.travel(START, tick=False)
def test_outsiders_get_404_on_every_meeting_endpoint(client_for, consultation, outsiders):
    for outsider in outsiders:
        client = client_for(outsider)
        for response in (
            client.get(link_url(consultation.pk)),
            client.post(start_url(consultation.pk)),
            client.post(end_url(consultation.pk)),
        ):
            assert_refused(response, 404, "not_found", "Consultation not found")
    consultation.refresh_from_db()
    assert consultation.meeting_started_at is None


def test_anonymous_requests_are_refused(api_client, consultation):
    # Session auth comes first in DRF's list, so "not authenticated" is a 403 here.
    for response in (
        api_client.get(link_url(consultation.pk)),
        api_client.post(start_url(consultation.pk)),
        api_client.post(end_url(consultation.pk)),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_authenticated"


def test_unknown_consultation_is_404(client_for, user):
    assert client_for(user).get(link_url(999_999)).status_code == 404


@pytest.mark.parametrize(
    ("moment", "code", "words"),
    [
        (OPENS - timedelta(seconds=1), "meeting_not_open_yet", "opens 10 minutes before"),
        (START - timedelta(days=2), "meeting_not_open_yet", "opens 10 minutes before"),
        (CLOSES + timedelta(seconds=1), "meeting_closed", "closed 30 minutes after"),
        (END + timedelta(days=1), "meeting_closed", "closed 30 minutes after"),
    ],
)
def test_out_of_window_requests_get_a_clear_403(
    client_for, consultation, user, expert, moment, code, words
):
    with time_machine.travel(moment, tick=False):
        for who in (user, expert.user):
            client = client_for(who)
            link = client.get(link_url(consultation.pk))
            assert_refused(link, 403, code, words)
            assert datetime.fromisoformat(link.json()["join_opens_at"]) == OPENS
            assert datetime.fromisoformat(link.json()["join_closes_at"]) == CLOSES
            assert_refused(client.post(start_url(consultation.pk)), 403, code, words)
    consultation.refresh_from_db()
    assert consultation.meeting_started_at is None


@pytest.mark.parametrize(
    "moment", [OPENS, START, END, CLOSES], ids=["opens", "start", "end", "closes"]
)
def test_window_edges_are_inclusive(client_for, consultation, user, moment):
    with time_machine.travel(moment, tick=False):
        assert client_for(user).get(link_url(consultation.pk)).status_code == 200


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (Consultation.Status.PENDING, "not_confirmed", "not confirmed"),
        (Consultation.Status.CANCELLED, "consultation_cancelled", "cancelled"),
        (Consultation.Status.COMPLETED, "meeting_ended", "completed"),
        (Consultation.Status.NO_SHOW, "meeting_closed", "no-show"),
    ],
)
@time_machine.travel(START, tick=False)
def test_unconfirmed_consultations_get_a_clear_403(client_for, user, expert, status, code, words):
    consultation = make_consultation(user=user, expert=expert, start_at=START, status=status)
    for who in (user, expert.user):
        client = client_for(who)
        link = client.get(link_url(consultation.pk))
        assert_refused(link, 403, code, words)
        assert link.json()["status"] == status
        assert_refused(client.post(start_url(consultation.pk)), 403, code, words)


# --- start / end --------------------------------------------------------------------------


@pytest.mark.parametrize("starter", ["user", "expert"])
def test_either_participant_starts_and_ends_the_meeting(
    client_for,
    consultation,
    user,
    expert,
    starter,
    status_changes,
    django_capture_on_commit_callbacks,
):
    starting = user if starter == "user" else expert.user
    ending = expert.user if starter == "user" else user
    with time_machine.travel(START - timedelta(minutes=2), tick=False):
        response = client_for(starting).post(start_url(consultation.pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert datetime.fromisoformat(body["meeting_started_at"]) == START - timedelta(minutes=2)
    assert body["meeting_ended_at"] is None

    ended_at = END - timedelta(minutes=5)
    with (
        time_machine.travel(ended_at, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client_for(ending).post(end_url(consultation.pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert datetime.fromisoformat(body["meeting_ended_at"]) == ended_at
    assert datetime.fromisoformat(body["completed_at"]) == ended_at

    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.COMPLETED
    assert consultation.meeting_ended_at == ended_at == consultation.completed_at
    assert [
        (c["change"], c["old_status"], c["new_status"], c["actor"]) for c in status_changes
    ] == [("completed", "confirmed", "completed", ending)]


@time_machine.travel(START, tick=False)
def test_meeting_starts_only_once(client_for, consultation, user, expert):
    assert client_for(user).post(start_url(consultation.pk)).status_code == 200
    second = client_for(expert.user).post(start_url(consultation.pk))
    assert_refused(second, 409, "meeting_already_started", "already started")
    assert datetime.fromisoformat(second.json()["meeting_started_at"]) == START


@time_machine.travel(START, tick=False)
def test_meeting_cannot_end_before_it_starts(client_for, consultation, expert):
    response = client_for(expert.user).post(end_url(consultation.pk))
    assert_refused(response, 409, "meeting_not_started", "has not started")
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.CONFIRMED
    assert consultation.meeting_ended_at is None and consultation.completed_at is None


@time_machine.travel(START, tick=False)
def test_ended_meeting_cannot_be_ended_or_started_again(client_for, consultation, user):
    client = client_for(user)
    assert client.post(start_url(consultation.pk)).status_code == 200
    assert client.post(end_url(consultation.pk)).status_code == 200
    assert_refused(client.post(end_url(consultation.pk)), 409, "meeting_already_ended", "already")
    assert_refused(client.post(start_url(consultation.pk)), 403, "meeting_ended", "completed")
    assert_refused(client.get(link_url(consultation.pk)), 403, "meeting_ended", "completed")


@pytest.mark.parametrize("status", [Consultation.Status.PENDING, Consultation.Status.CANCELLED])
@time_machine.travel(START, tick=False)
def test_meeting_of_an_unconfirmed_consultation_cannot_be_ended(client_for, user, expert, status):
    consultation = make_consultation(
        user=user, expert=expert, start_at=START, status=status, meeting_started_at=START
    )
    assert_refused(
        client_for(user).post(end_url(consultation.pk)), 403, "not_confirmed", "no meeting"
    )
    consultation.refresh_from_db()
    assert consultation.status == status


def test_services_refuse_outsiders_with_403(consultation, outsiders):
    consultation.meeting_started_at = START
    consultation.save()
    for outsider in outsiders:
        with pytest.raises(NotAllowed, match="Only the client and the expert") as exc:
            start_meeting(consultation=consultation, user=outsider, now=START)
        assert exc.value.status_code == 403
        with pytest.raises(NotAllowed, match="Only the client and the expert"):
            end_meeting(consultation=consultation, user=outsider, now=START)
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.CONFIRMED


def test_status_signal_waits_for_commit(
    consultation, user, status_changes, django_capture_on_commit_callbacks
):
    start_meeting(consultation=consultation, user=user, now=START)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        end_meeting(consultation=consultation, user=user, now=END)
    assert status_changes == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert [c["change"] for c in status_changes] == ["completed"]


# --- cleanup ------------------------------------------------------------------------------


def _stale_set(user, expert):
    """One consultation per rule, plus rows the cleanup must leave alone."""
    make = lambda start, **kw: make_consultation(user=user, expert=expert, start_at=start, **kw)  # noqa: E731
    day = START
    return {
        "started_unended": make(day, meeting_started_at=day),
        "never_started": make(day + timedelta(hours=2)),
        "pending_paid": make(
            day + timedelta(hours=4), status=Consultation.Status.PENDING, price=Decimal("80.00")
        ),
        "pending_unpaid": make(
            day + timedelta(hours=6),
            status=Consultation.Status.PENDING,
            payment_status=Consultation.PaymentStatus.UNPAID,
        ),
        # Left alone: still inside the grace period / not over yet / already closed.
        "in_grace": make(day + timedelta(hours=8), meeting_started_at=day + timedelta(hours=8)),
        "pending_not_over": make(day + timedelta(hours=9, minutes=5), status="pending"),
        "completed": make(
            day - timedelta(days=1),
            status=Consultation.Status.COMPLETED,
            meeting_started_at=day - timedelta(days=1),
            meeting_ended_at=day - timedelta(days=1, minutes=-30),
        ),
        "cancelled": make(day - timedelta(days=2), status=Consultation.Status.CANCELLED),
    }


def test_cleanup_rules(user, expert, status_changes, django_capture_on_commit_callbacks):
    rows = _stale_set(user, expert)
    # in_grace ends at 09:00 after START (=+8h +60m), its grace runs to +9h30.
    now = START + timedelta(hours=9, minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        result = close_stale_meetings(now)
    assert result.as_dict() == {"completed": 1, "no_show": 1, "expired": 2}
    for row in rows.values():
        row.refresh_from_db()

    done = rows["started_unended"]
    assert done.status == Consultation.Status.COMPLETED
    assert done.meeting_ended_at == done.end_at == done.completed_at

    # Nobody started the call: the expert never joined, so the client gets everything back.
    missed = rows["never_started"]
    assert missed.status == Consultation.Status.CANCELLED
    assert missed.no_show_party == "expert" and missed.cancellation_cause == "expert_no_show"
    assert missed.payment_status == Consultation.PaymentStatus.REFUND_DUE
    assert missed.refund_amount == missed.price

    paid = rows["pending_paid"]
    assert paid.status == Consultation.Status.CANCELLED
    assert paid.cancellation_reason == EXPIRED_UNCONFIRMED_REASON == "expired unconfirmed"
    assert paid.cancelled_at == now and paid.cancelled_by is None
    assert paid.payment_status == Consultation.PaymentStatus.REFUND_DUE
    assert paid.refund_amount == Decimal("80.00")

    unpaid = rows["pending_unpaid"]
    assert unpaid.status == Consultation.Status.CANCELLED
    # Same path as every cancellation: a full refund of an unpaid booking means nothing is
    # owed any more (the old expiry code left it "awaiting payment").
    assert unpaid.payment_status == Consultation.PaymentStatus.NOT_REQUIRED
    assert unpaid.refund_amount == Decimal("0.00")

    assert rows["in_grace"].status == Consultation.Status.CONFIRMED
    assert rows["in_grace"].meeting_ended_at is None
    assert rows["pending_not_over"].status == Consultation.Status.PENDING
    assert rows["completed"].status == Consultation.Status.COMPLETED
    assert rows["cancelled"].status == Consultation.Status.CANCELLED

    changes = sorted((c["consultation"].pk, c["change"]) for c in status_changes)
    assert changes == sorted(
        [
            (rows["started_unended"].pk, "completed"),
            (rows["never_started"].pk, "no_show"),
            (rows["pending_paid"].pk, "cancelled"),
            (rows["pending_unpaid"].pk, "cancelled"),
        ]
    )
    assert all(c["actor"] is None for c in status_changes)

    # Idempotent: a second run changes nothing.
    assert close_stale_meetings(now).as_dict() == {"completed": 0, "no_show": 0, "expired": 0}


def test_cleanup_waits_for_the_grace_period(consultation):
    assert close_stale_meetings(CLOSES - timedelta(seconds=1)).as_dict()["no_show"] == 0
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.CONFIRMED
    assert close_stale_meetings(CLOSES).as_dict()["no_show"] == 1


def test_cleaned_up_meeting_can_no_longer_be_joined(client_for, consultation, user):
    close_stale_meetings(CLOSES + timedelta(minutes=1))
    with time_machine.travel(END, tick=False):
        assert_refused(
            client_for(user).get(link_url(consultation.pk)),
            403,
            "consultation_cancelled",
            "cancelled",
        )


def test_cleanup_task_is_registered_scheduled_and_runs(user, expert):
    from consultations.tasks import cleanup_old_meetings
    from project.celery import app

    registered = app.tasks["consultations.tasks.cleanup_old_meetings"]
    assert registered.name == cleanup_old_meetings.name
    assert registered.acks_late is True
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "consultations.tasks.cleanup_old_meetings" in scheduled

    rows = _stale_set(user, expert)
    with time_machine.travel(START + timedelta(hours=9, minutes=10), tick=False):
        result = cleanup_old_meetings.delay().get()
    assert result == {"completed": 1, "no_show": 1, "expired": 2}
    rows["never_started"].refresh_from_db()
    assert rows["never_started"].no_show_party == "expert"


@pytest.mark.django_db(transaction=True)
def test_cleanup_skips_a_row_a_participant_is_ending_right_now(user, expert):
    consultation = make_consultation(
        user=user, expert=expert, start_at=START, meeting_started_at=START
    )
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        try:
            with transaction.atomic():
                Consultation.objects.select_for_update().get(pk=consultation.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        # SKIP LOCKED: the busy row is left for the next run, not waited on or closed twice.
        assert close_stale_meetings(CLOSES + timedelta(minutes=1)).as_dict()["completed"] == 0
    finally:
        release.set()
        holder.join(timeout=10)
    assert close_stale_meetings(CLOSES + timedelta(minutes=1)).as_dict()["completed"] == 1
