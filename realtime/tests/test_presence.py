"""Presence expires unless an open socket's heartbeat refreshes it."""

from __future__ import annotations

import asyncio

import pytest
import time_machine
from channels.db import database_sync_to_async

from realtime import presence
from realtime.testing import connect_ws


def test_a_crashed_process_cannot_leave_a_user_online(settings):
    settings.PRESENCE_TTL_SECONDS = 90
    with time_machine.travel(0, tick=False) as clock:
        presence.mark_connected(7)  # the process dies here: no mark_disconnected
        assert presence.is_online(7)
        clock.shift(89)
        assert presence.is_online(7)
        clock.shift(2)
        assert not presence.is_online(7)


def test_refresh_keeps_presence_alive_and_recreates_a_lapsed_one(settings):
    settings.PRESENCE_TTL_SECONDS = 90
    with time_machine.travel(0, tick=False) as clock:
        presence.mark_connected(8)
        for _ in range(5):
            clock.shift(60)
            presence.refresh(8)
        assert presence.is_online(8)
        clock.shift(91)
        assert not presence.is_online(8)
        presence.refresh(8)  # a live socket after e.g. a cache restart
        assert presence.is_online(8)


def test_last_disconnect_clears_presence():
    presence.mark_connected(9)
    presence.mark_connected(9)
    presence.mark_disconnected(9)
    assert presence.is_online(9)
    presence.mark_disconnected(9)
    assert not presence.is_online(9)


@pytest.mark.django_db(transaction=True)
async def test_open_socket_heartbeat_outlives_the_ttl(user, settings):
    settings.PRESENCE_TTL_SECONDS = 0.6  # heartbeat every 0.2 s
    online = database_sync_to_async(presence.is_online)
    comm = await connect_ws(user)
    await asyncio.sleep(1.5)
    assert await online(user.id)  # refreshed well past the TTL
    await comm.disconnect()
    assert not await online(user.id)
