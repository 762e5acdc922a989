"""meeting.started / meeting.ended reach both participants over the real channels-redis layer.

Times are relative to the real clock (no time travel) because channels-redis stamps group
membership with the wall clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from consultations.services.meetings import close_stale_meetings, start_meeting
from consultations.tests.factories import make_consultation, make_expert
from project.api_errors import NotAllowed
from realtime.testing import assert_no_event, connect_ws, receive_event

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def expert(make_user):
    return make_expert(user=make_user(first_name="Erin", last_name="Expert"))


@pytest.fixture
def consultation(user, expert):
    # Starts in 5 minutes: inside the 10-minute early-join window right now.
    start = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    return make_consultation(user=user, expert=expert, start_at=start, minutes=60)


@pytest.fixture
async def sockets(user, expert, other_user):
    socks = {
        "user": await connect_ws(user),
        "expert": await connect_ws(expert.user),
        "third": await connect_ws(other_user),
    }
    yield socks
    for comm in socks.values():
        await comm.disconnect()


def _post(client_for, who, url):
    return database_sync_to_async(lambda: client_for(who).post(url))()


async def test_start_and_end_over_http_reach_both_participants_only(
    client_for, consultation, user, expert, sockets
):
    base = f"/api/v1/consultations/consultations/{consultation.pk}"

    response = await _post(client_for, expert.user, f"{base}/start/")
    assert response.status_code == 200, response.content
    for side in ("user", "expert"):
        event = await receive_event(sockets[side], "meeting.started")
        assert event["data"]["consultation_id"] == consultation.pk
        assert event["data"]["room"] == consultation.meeting_room_id
        assert event["data"]["status"] == "confirmed"
        assert event["data"]["started_by"] == expert.user_id
        assert event["data"]["meeting_started_at"]
    await assert_no_event(sockets["third"], "meeting.started")

    response = await _post(client_for, user, f"{base}/end/")
    assert response.status_code == 200, response.content
    for side in ("user", "expert"):
        event = await receive_event(sockets[side], "meeting.ended")
        assert event["data"]["consultation_id"] == consultation.pk
        assert event["data"]["status"] == "completed"
        assert event["data"]["ended_by"] == user.id
        assert event["data"]["reason"] == "ended"
        assert event["data"]["meeting_ended_at"]
    await assert_no_event(sockets["third"], "meeting.ended")


async def test_refused_start_publishes_nothing(consultation, other_user, sockets):
    @database_sync_to_async
    def start_as_outsider():
        with pytest.raises(NotAllowed):
            start_meeting(consultation=consultation, user=other_user)

    await start_as_outsider()
    for comm in sockets.values():
        await assert_no_event(comm, "meeting.started")


async def test_cleanup_of_an_unended_meeting_tells_both_participants(consultation, user, sockets):
    await database_sync_to_async(start_meeting)(consultation=consultation, user=user)
    for side in ("user", "expert"):
        await receive_event(sockets[side], "meeting.started")

    later = consultation.end_at + timedelta(minutes=31)
    result = await database_sync_to_async(close_stale_meetings)(later)
    assert result.completed == 1
    for side in ("user", "expert"):
        event = await receive_event(sockets[side], "meeting.ended")
        assert event["data"]["reason"] == "timed_out"
        assert event["data"]["ended_by"] is None
        assert event["data"]["status"] == "completed"
    await assert_no_event(sockets["third"], "meeting.ended")


async def test_cleanup_announces_no_shows_and_expired_bookings(user, expert, sockets):
    start = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    make = database_sync_to_async(make_consultation)
    never_started = await make(user=user, expert=expert, start_at=start, minutes=60)
    unconfirmed = await make(
        user=user,
        expert=expert,
        start_at=start + timedelta(hours=2),
        minutes=60,
        status="pending",
    )
    later = unconfirmed.end_at + timedelta(minutes=31)
    result = await database_sync_to_async(close_stale_meetings)(later)
    assert (result.no_show, result.expired) == (1, 1)
    for side in ("user", "expert"):
        no_show = await receive_event(sockets[side], "booking.no_show")
        assert no_show["data"]["id"] == never_started.pk
        assert no_show["data"]["status"] == "cancelled"  # nobody joined: the expert's no-show
        assert no_show["data"]["no_show_party"] == "expert"
        assert no_show["data"]["full_refund"] is True
        expired = await receive_event(sockets[side], "booking.cancelled")
        assert expired["data"]["id"] == unconfirmed.pk
        assert expired["data"]["full_refund"] is True
    await assert_no_event(sockets["third"])
