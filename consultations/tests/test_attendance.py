"""services/attendance.py + the meeting.presence socket action + the no-show rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from consultations.models import AttendanceInterval, Consultation, LedgerEntry
from consultations.services import attendance
from consultations.services.meetings import close_stale_meetings, end_meeting
from consultations.tests.factories import make_consultation, make_expert
from project.api_errors import NotAllowed, NotFound
from realtime.testing import assert_no_event, connect_ws, receive_event

Status = Consultation.Status


@pytest.fixture
def expert(make_user):
    return make_expert(user=make_user(first_name="Erin", last_name="Expert"))


def _consultation(user, expert, **kw):
    start = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    return make_consultation(user=user, expert=expert, start_at=start, minutes=60, **kw)


@pytest.mark.django_db
def test_joins_and_leaves_are_idempotent_and_add_up(user, expert):
    c = _consultation(user, expert)
    t = c.start_at
    join = attendance.report_join
    leave = attendance.report_leave
    join(consultation_id=c.pk, user=user, connection_id="tab-a", now=t)
    join(consultation_id=c.pk, user=user, connection_id="tab-a", now=t + timedelta(minutes=3))
    assert AttendanceInterval.objects.filter(consultation=c).count() == 1  # repeat: no-op
    join(consultation_id=c.pk, user=expert.user, connection_id="x1", now=t + timedelta(minutes=5))
    # The client's socket drops at 20 and comes back at 22 (a new socket id).
    leave(consultation_id=c.pk, user=user, connection_id="tab-a", now=t + timedelta(minutes=20))
    leave(consultation_id=c.pk, user=user, connection_id="tab-a", now=t + timedelta(minutes=21))
    join(consultation_id=c.pk, user=user, connection_id="tab-b", now=t + timedelta(minutes=22))
    s = attendance.summary(c, now=t + timedelta(minutes=40))
    assert (s["client_minutes"], s["expert_minutes"], s["both_minutes"]) == (38, 35, 33)
    assert s["client_present"] and s["expert_present"]
    c.refresh_from_db()
    assert c.meeting_started_at == t and c.meeting_started_by == user  # the first join


@pytest.mark.django_db
def test_only_participants_inside_the_window_are_recorded(user, other_user, expert):
    c = _consultation(user, expert)
    with pytest.raises(NotAllowed):
        attendance.report_join(consultation_id=c.pk, user=other_user, connection_id="z")
    with pytest.raises(NotAllowed):
        attendance.report_join(
            consultation_id=c.pk, user=user, connection_id="z", now=c.start_at - timedelta(hours=1)
        )
    with pytest.raises(NotFound):
        attendance.report_leave(consultation_id=c.pk, user=other_user, connection_id="z")
    assert not AttendanceInterval.objects.exists()


@pytest.mark.django_db
def test_ending_the_meeting_closes_open_intervals(user, expert):
    c = _consultation(user, expert)
    attendance.report_join(consultation_id=c.pk, user=user, connection_id="a", now=c.start_at)
    end_meeting(consultation=c, user=expert.user, now=c.start_at + timedelta(minutes=30))
    row = AttendanceInterval.objects.get()
    assert row.left_at == c.start_at + timedelta(minutes=30) and row.closed_by == "meeting_ended"


# --------------------------------------------------------------------------- no-shows


def _grace_over(c):
    return c.end_at + timedelta(minutes=31)


@pytest.mark.django_db
def test_client_no_show_applies_the_policy_and_expert_no_show_refunds(user, expert):
    missed_by_client = _consultation(user, expert)
    missed_by_expert = make_consultation(
        user=user, expert=expert, start_at=missed_by_client.start_at + timedelta(hours=2)
    )
    attendance.report_join(
        consultation_id=missed_by_client.pk,
        user=expert.user,
        connection_id="e",
        now=missed_by_client.start_at,
    )
    attendance.report_join(
        consultation_id=missed_by_expert.pk,
        user=user,
        connection_id="u",
        now=missed_by_expert.start_at,
    )
    result = close_stale_meetings(_grace_over(missed_by_expert))
    assert result.no_show == 2
    missed_by_client.refresh_from_db()
    missed_by_expert.refresh_from_db()
    assert missed_by_client.status == Status.NO_SHOW
    assert missed_by_client.no_show_party == "client"
    assert missed_by_client.payment_status == Consultation.PaymentStatus.NOT_REFUNDABLE
    assert missed_by_client.refund_amount == Decimal("0.00")
    assert missed_by_expert.status == Status.CANCELLED
    assert missed_by_expert.no_show_party == "expert"
    assert missed_by_expert.refund_amount == missed_by_expert.price
    refund = LedgerEntry.objects.get(consultation=missed_by_expert, kind="refund")
    assert refund.amount == -missed_by_expert.price and "did not join" in refund.reason
    # Intervals left open by a closed browser were closed at the end of the grace period.
    assert not AttendanceInterval.objects.filter(left_at__isnull=True).exists()


@pytest.mark.django_db
def test_both_present_completes_at_the_last_time_anyone_was_seen(user, expert):
    c = _consultation(user, expert)
    attendance.report_join(consultation_id=c.pk, user=user, connection_id="u", now=c.start_at)
    attendance.report_join(
        consultation_id=c.pk, user=expert.user, connection_id="e", now=c.start_at
    )
    attendance.report_leave(
        consultation_id=c.pk, user=user, connection_id="u", now=c.start_at + timedelta(minutes=50)
    )
    attendance.report_leave(
        consultation_id=c.pk,
        user=expert.user,
        connection_id="e",
        now=c.start_at + timedelta(minutes=52),
    )
    assert close_stale_meetings(_grace_over(c)).completed == 1
    c.refresh_from_db()
    assert c.status == Status.COMPLETED
    assert c.completed_at == c.meeting_ended_at == c.start_at + timedelta(minutes=52)


@pytest.mark.django_db
def test_the_start_button_still_counts_when_the_page_reported_nothing(user, expert):
    c = _consultation(user, expert, meeting_started_at=timezone.now())
    assert close_stale_meetings(_grace_over(c)).completed == 1


# --------------------------------------------------------------------------- socket


@pytest.mark.django_db(transaction=True)
async def test_presence_over_the_socket_and_a_closed_socket_leaves(user, expert, other_user):
    c = await database_sync_to_async(_consultation)(user, expert)
    client_ws = await connect_ws(user)
    expert_ws = await connect_ws(expert.user)
    third = await connect_ws(other_user)
    try:
        await client_ws.send_json_to(
            {
                "type": "meeting.presence",
                "request_id": "r1",
                "data": {"consultation_id": c.pk, "state": "joined"},
            }
        )
        reply = await receive_event(client_ws, "meeting.presence.ok")
        assert reply["data"]["request_id"] == "r1"
        assert reply["data"]["attendance"]["client_present"] is True
        started = await receive_event(expert_ws, "meeting.started")  # the first join starts it
        assert started["data"]["started_by"] == user.pk
        seen = await receive_event(expert_ws, "meeting.presence")
        assert seen["data"]["role"] == "client" and seen["data"]["state"] == "joined"

        await client_ws.send_json_to(
            {"type": "meeting.presence", "data": {"consultation_id": c.pk, "state": "dancing"}}
        )
        err = await receive_event(client_ws, "error")
        assert err["data"]["field"] == "state"

        await client_ws.disconnect()  # the browser tab closes without saying "left"
        gone = await receive_event(expert_ws, "meeting.presence")
        assert gone["data"]["state"] == "left" and gone["data"]["client_present"] is False
        row = await database_sync_to_async(AttendanceInterval.objects.get)()
        assert row.left_at is not None and row.closed_by == "socket_closed"
        await assert_no_event(third, "meeting.presence")
    finally:
        await expert_ws.disconnect()
        await third.disconnect()


# --------------------------------------------------------------------------- the end button


@pytest.mark.django_db
def test_end_button_waits_ten_minutes_then_records_the_client_no_show(user, expert):
    from project.api_errors import Conflict

    c = _consultation(user, expert)
    attendance.report_join(
        consultation_id=c.pk, user=expert.user, connection_id="e", now=c.start_at
    )
    too_soon = c.start_at + timedelta(minutes=9, seconds=59)
    with pytest.raises(Conflict) as exc:
        end_meeting(consultation=c, user=expert.user, now=too_soon, zone="Asia/Tokyo")
    assert exc.value.code == "not_joined_yet"
    assert "Your client has not joined" in exc.value.message and "(Asia/Tokyo)" in exc.value.message
    c.refresh_from_db()
    assert c.status == Status.CONFIRMED
    at = c.start_at + timedelta(minutes=10)
    end_meeting(consultation=c, user=expert.user, now=at)
    c.refresh_from_db()
    assert (c.status, c.no_show_party, c.cancellation_cause) == (
        Status.NO_SHOW,
        "client",
        "client_no_show",
    )
    assert c.cancelled_by == expert.user and c.meeting_ended_at == at
    assert not AttendanceInterval.objects.filter(left_at__isnull=True).exists()


@pytest.mark.django_db
def test_client_ending_a_call_the_expert_never_joined_is_the_experts_no_show(user, expert):
    c = _consultation(user, expert)
    attendance.report_join(consultation_id=c.pk, user=user, connection_id="u", now=c.start_at)
    end_meeting(consultation=c, user=user, now=c.start_at + timedelta(minutes=15))
    c.refresh_from_db()
    assert c.status == Status.CANCELLED and c.no_show_party == "expert"
    assert c.refund_amount == c.price  # full refund due
    refund = LedgerEntry.objects.get(consultation=c, kind="refund")
    assert refund.amount == -c.price


@pytest.mark.django_db
def test_end_button_completes_when_both_joined_or_nothing_was_reported(user, expert):
    both = _consultation(user, expert)
    for who, sock in ((user, "u"), (expert.user, "e")):
        attendance.report_join(
            consultation_id=both.pk, user=who, connection_id=sock, now=both.start_at
        )
    end_meeting(consultation=both, user=user, now=both.start_at + timedelta(minutes=2))
    both.refresh_from_db()
    assert both.status == Status.COMPLETED
    # No reports (an old page): the buttons alone decide, as before.
    legacy = make_consultation(
        user=user, expert=expert, start_at=both.start_at + timedelta(hours=2)
    )
    Consultation.objects.filter(pk=legacy.pk).update(meeting_started_at=legacy.start_at)
    legacy.refresh_from_db()
    end_meeting(consultation=legacy, user=user, now=legacy.start_at + timedelta(minutes=1))
    legacy.refresh_from_db()
    assert legacy.status == Status.COMPLETED
