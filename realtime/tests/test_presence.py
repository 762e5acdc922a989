"""Presence expires unless an open socket's heartbeat refreshes it."""

from __future__ import annotations

import asyncio
import logging

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


# --------------------------------------------------------------------------- socket processes


@pytest.fixture
def redis_cache(settings):
    """The production cache (Redis) instead of the tests' in-memory one."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}-presence",
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


def _pttl_ms(cache, user_id: int) -> int:
    client = cache._cache.get_client(write=False)
    return int(client.pttl(cache.make_key(f"presence:user:{user_id}")))


async def test_sockets_of_one_process_count_once_and_the_last_close_clears(redis_cache):
    sockets = presence.SocketPresence(asyncio.get_running_loop())
    online = database_sync_to_async(presence.is_online)
    await sockets.connected(21)
    await sockets.connected(21)  # a second tab: no write, the process already counts
    assert sockets.writes == 1
    assert await online(21)
    assert await database_sync_to_async(redis_cache.get)("presence:user:21") == 1
    await sockets.disconnected(21)
    assert await online(21)
    await sockets.disconnected(21)
    assert not await online(21)
    await sockets.disconnected(21)  # a stray close must not go below zero
    assert sockets.writes == 2


async def test_two_processes_keep_a_user_online_until_both_let_go(redis_cache):
    loop = asyncio.get_running_loop()
    first, second = presence.SocketPresence(loop), presence.SocketPresence(loop)
    online = database_sync_to_async(presence.is_online)
    await first.connected(22)
    await second.connected(22)
    await first.disconnected(22)
    assert await online(22)
    await second.disconnected(22)
    assert not await online(22)


async def test_one_heartbeat_refreshes_every_user_of_the_process_in_one_round_trip(
    redis_cache, settings
):
    settings.PRESENCE_TTL_SECONDS = 90
    sockets = presence.SocketPresence(asyncio.get_running_loop())
    # A connect storm: 1,500 users arriving together are written in a few batches.
    await asyncio.gather(*(sockets.connected(uid) for uid in range(1000, 2500)))
    assert sockets.writes < 20
    for uid in (1000, 2499):
        redis_client = redis_cache._cache.get_client(write=True)
        redis_client.pexpire(redis_cache.make_key(f"presence:user:{uid}"), 1000)
    redis_cache.delete("presence:user:1500")  # lapsed, e.g. a Redis restart
    writes = sockets.writes
    await sockets.refresh_all()
    assert sockets.writes == writes + 1  # one pipelined round trip, 1,500 keys
    for uid in (1000, 1500, 2499):
        assert _pttl_ms(redis_cache, uid) > 85_000
        assert presence.is_online(uid)
    for uid in range(1000, 2500):
        await sockets.disconnected(uid)
    assert not presence.is_online(1000)
    assert sockets.heartbeat is None  # nothing left to keep alive: the heartbeat stopped


async def test_presence_survives_a_dead_cache_without_failing_the_socket(redis_cache, caplog):
    sockets = presence.SocketPresence(asyncio.get_running_loop())

    async def refused(ops):
        raise ConnectionError("redis is down")

    sockets._write = refused
    with caplog.at_level(logging.WARNING, logger="realtime.presence"):
        await sockets.connected(23)  # does not raise
        await sockets.disconnected(23)
    assert sum("not written" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.django_db(transaction=True)
async def test_open_sockets_heartbeat_never_uses_channels_db_thread(user, settings, monkeypatch):
    """The heartbeat of thousands of idle sockets must not queue on the one DB thread."""
    from channels import db as channels_db

    settings.PRESENCE_TTL_SECONDS = 0.6
    comm = await connect_ws(user)
    calls: list[str] = []
    original = channels_db.DatabaseSyncToAsync.__call__

    async def spy(self, *args, **kwargs):
        calls.append(getattr(self.func, "__name__", "?"))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(channels_db.DatabaseSyncToAsync, "__call__", spy)
    await asyncio.sleep(1.0)  # five heartbeats, past the TTL
    assert calls == []
    monkeypatch.undo()
    assert await database_sync_to_async(presence.is_online)(user.id)
    await comm.disconnect()


async def test_a_socket_in_this_process_answers_is_online_without_the_cache(redis_cache):
    sockets = presence.socket_presence()
    await sockets.connected(24)
    await database_sync_to_async(redis_cache.delete)("presence:user:24")
    assert await database_sync_to_async(presence.is_online)(24)  # known here
    await sockets.disconnected(24)
    assert not await database_sync_to_async(presence.is_online)(24)
