"""Live booking events over the real /ws/ stack (channels-redis), sent after commit."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from consultations.services import booking
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules
from consultations.tests.scheduling_helpers import start_in_three_days as _start
from project.api_errors import Conflict
from realtime.testing import assert_no_event, connect_ws, receive_event

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def _setup():
    expert = scheduling_expert()
    set_rules(expert, every_day("00:00", "24:00"))
    client = make_user(first_name="Cleo", last_name="Client")
    return expert, expert.user, client


@database_sync_to_async
def _book(user, expert, hours: int = 0):
    return booking.book_consultation(
        user=user, expert_id=expert.pk, start_at=_start(hours), duration_minutes=30, topic="Tax"
    )


async def test_expert_receives_booking_created_after_commit():
    expert, expert_user, client = await _setup()
    expert_ws = await connect_ws(expert_user)
    client_ws = await connect_ws(client)
    c = await _book(client, expert)
    event = await receive_event(expert_ws, "booking.created")
    assert event["data"]["id"] == c.pk
    assert event["data"]["status"] == "pending"
    assert event["data"]["user_id"] == client.pk
    assert event["data"]["start_at"] == c.start_at.isoformat()
    await assert_no_event(client_ws, "booking.created")
    await expert_ws.disconnect()
    await client_ws.disconnect()


async def test_a_rolled_back_or_refused_booking_is_never_announced():
    expert, expert_user, client = await _setup()
    expert_ws = await connect_ws(expert_user)

    @database_sync_to_async
    def book_then_roll_back():
        try:
            with transaction.atomic():
                booking.book_consultation(
                    user=client,
                    expert_id=expert.pk,
                    start_at=_start(),
                    duration_minutes=30,
                    topic="Tax",
                )
                raise RuntimeError("request failed later")
        except RuntimeError:
            pass

    await book_then_roll_back()
    await assert_no_event(expert_ws, "booking.created", timeout=1.0)

    await _book(client, expert)
    await receive_event(expert_ws, "booking.created")
    with pytest.raises(Conflict):
        await _book(await database_sync_to_async(make_user)(), expert)
    await assert_no_event(expert_ws, "booking.created", timeout=1.0)
    await expert_ws.disconnect()


async def test_both_sides_hear_confirmed_cancelled_and_rescheduled():
    expert, expert_user, client = await _setup()
    expert_ws = await connect_ws(expert_user)
    client_ws = await connect_ws(client)
    outsider_ws = await connect_ws(await database_sync_to_async(make_user)())
    c = await _book(client, expert)
    await receive_event(expert_ws, "booking.created")

    await database_sync_to_async(booking.confirm_consultation)(
        consultation_id=c.pk, actor=expert_user
    )
    for ws in (expert_ws, client_ws):
        event = await receive_event(ws, "booking.confirmed")
        assert event["data"]["id"] == c.pk and event["data"]["status"] == "confirmed"

    new = await database_sync_to_async(booking.reschedule_consultation)(
        consultation_id=c.pk, actor=client, start_at=_start(hours=2)
    )
    for ws in (expert_ws, client_ws):
        event = await receive_event(ws, "booking.rescheduled")
        assert event["data"]["id"] == new.pk
        assert event["data"]["rescheduled_from_id"] == c.pk
        assert event["data"]["previous"]["status"] == "cancelled"

    await database_sync_to_async(booking.cancel_consultation)(
        consultation_id=new.pk, actor=expert_user, reason="Sick"
    )
    for ws in (expert_ws, client_ws):
        event = await receive_event(ws, "booking.cancelled")
        assert event["data"]["id"] == new.pk
        assert event["data"]["full_refund"] is True
        assert event["data"]["cancellation_reason"] == "Sick"

    await assert_no_event(outsider_ws, timeout=0.5)
    for ws in (expert_ws, client_ws, outsider_ws):
        await ws.disconnect()
