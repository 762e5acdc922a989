"""Who has at least one open socket, counted in the shared cache (Redis in production).

Used to decide whether a user is "offline" (e.g. to email about a chat message).

The count expires PRESENCE_TTL_SECONDS (90 s) after its last refresh, so a crashed or killed
process cannot leave its users "online" for longer than the TTL.

Socket processes keep presence through `SocketPresence` (one per event loop): it counts the
process's open sockets per user in memory and touches the shared counter only when a user's
first socket in the process opens or the last one closes (the counter counts processes per
user, not sockets). One heartbeat per process, every third of the TTL, refreshes the expiry
of every user the process holds in one pipelined round trip. Writes run in the order they
were made, batched while one is in flight, on the event loop (redis.asyncio) without any
thread hop. Before, every socket ran its own heartbeat through Channels' single DB thread:
10,000 idle sockets cost 333 thread hops and cache round trips a second, queued in front of
every connect.

The synchronous functions below (same counter, same keys) serve other processes and tests.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from project.cache_redis import cache_redis
from project.cache_redis import make_key as cache_make_key

logger = logging.getLogger(__name__)


def presence_ttl() -> float:
    return float(settings.PRESENCE_TTL_SECONDS)


def _key(user_id: int) -> str:
    return f"presence:user:{user_id}"


def mark_connected(user_id: int) -> None:
    key = _key(user_id)
    ttl = presence_ttl()
    if not cache.add(key, 1, ttl):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, ttl)
    cache.touch(key, ttl)


def refresh(user_id: int) -> None:
    """Push the expiry back (re-create it if it lapsed, e.g. after a cache restart)."""
    key = _key(user_id)
    ttl = presence_ttl()
    if not cache.touch(key, ttl):
        cache.add(key, 1, ttl)


def mark_disconnected(user_id: int) -> None:
    key = _key(user_id)
    try:
        if cache.decr(key) <= 0:
            cache.delete(key)
    except ValueError:
        pass


def is_online(user_id: int) -> bool:
    # A socket open in this very process answers without a round trip (chat sends mostly
    # ask about a recipient whose socket is on one of the socket processes).
    if any(
        p.sockets.get(user_id, 0) > 0 and not p.loop.is_closed() for p in list(_by_loop.values())
    ):
        return True
    client = cache_redis()
    if client is not None:
        # The shared client: Django's cache would build a new Redis object for each call.
        raw = client.get(cache_make_key(_key(user_id)))
        try:
            return int(raw or 0) > 0
        except ValueError:
            pass  # not a counter (written by something else): let the cache decode it
    return (cache.get(_key(user_id)) or 0) > 0


# --------------------------------------------------------------------------- socket processes

# Django's RedisCache stores integers as plain Redis integers, so these scripts and
# cache.get()/incr() read and write the same counter. Each is atomic in Redis: no other
# process can slip between the increment and the expiry, or the decrement and the delete.
_UP = """
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
"""
_DOWN = """
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
"""
_REFRESH = """
for _, key in ipairs(KEYS) do
  if redis.call('PEXPIRE', key, ARGV[1]) == 0 then
    redis.call('SET', key, 1, 'PX', ARGV[1])
  end
end
return #KEYS
"""
_SCRIPTS = {"up": _UP, "down": _DOWN}
_REFRESH_CHUNK = 1000  # keys per script call: a long script would block Redis


def _redis_location() -> str | None:
    """The cache's (first, i.e. writable) Redis URL, or None for another cache backend."""
    if not isinstance(caches["default"], RedisCache):
        return None
    location = settings.CACHES["default"]["LOCATION"]
    servers = location.split(",") if isinstance(location, str) else list(location)
    return str(servers[0]).strip()


class SocketPresence:
    """The presence of this process's sockets (one instance per event loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sockets: dict[int, int] = {}  # user id -> open sockets in this process
        self.pending: list[tuple[str, int, asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None
        self.heartbeat: asyncio.Task[None] | None = None
        self.writes = 0  # round trips (or thread hops) made; tests prove the batching
        self._redis: Any = None
        self._redis_location: str | None = None

    # ---- what the consumer calls

    def open_sockets(self, user_id: int) -> int:
        return self.sockets.get(user_id, 0)

    async def connected(self, user_id: int) -> None:
        count = self.sockets.get(user_id, 0) + 1
        self.sockets[user_id] = count
        if self.heartbeat is None or self.heartbeat.done():
            self.heartbeat = self.loop.create_task(self._beat())
        if count == 1:
            await self._submit("up", user_id)

    async def disconnected(self, user_id: int) -> None:
        count = self.sockets.get(user_id, 0)
        if count <= 0:
            return
        if count > 1:
            self.sockets[user_id] = count - 1
            return
        del self.sockets[user_id]
        if not self.sockets and self.heartbeat is not None:
            self.heartbeat.cancel()
            self.heartbeat = None
        await self._submit("down", user_id)

    async def refresh_all(self) -> None:
        """One heartbeat: push back the expiry of every user this process holds."""
        if self.sockets:
            await self._submit("refresh", 0)

    # ---- batching

    async def _submit(self, op: str, user_id: int) -> None:
        future: asyncio.Future[None] = self.loop.create_future()
        self.pending.append((op, user_id, future))
        if self.writer is None or self.writer.done():
            self.writer = self.loop.create_task(self._drain())
        try:
            await future
        except Exception as exc:  # presence is advisory; its TTL heals what a failure leaves
            logger.warning("presence %s for user %s not written: %r", op, user_id, exc)

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await self._write([(op, uid) for op, uid, _ in batch])
            except Exception as exc:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _write(self, ops: list[tuple[str, int]]) -> None:
        self.writes += 1
        location = _redis_location()
        if location is None:
            # Another cache (in-memory in the embedded default and tests): its own calls,
            # all of the batch in one thread hop.
            await sync_to_async(self._write_sync, thread_sensitive=False)(ops)
            return
        redis = self._client(location)
        ttl_ms = max(1, int(presence_ttl() * 1000))
        make_key = caches["default"].make_key
        pipe = redis.pipeline(transaction=False)
        for op, user_id in ops:
            # EVAL, not EVALSHA: nothing to reload after a Redis restart; Redis caches the
            # compiled script by its hash either way.
            if op == "refresh":
                keys = [make_key(_key(uid)) for uid in self.sockets]
                for i in range(0, len(keys), _REFRESH_CHUNK):
                    chunk = keys[i : i + _REFRESH_CHUNK]
                    pipe.eval(_REFRESH, len(chunk), *chunk, ttl_ms)
            else:
                pipe.eval(_SCRIPTS[op], 1, make_key(_key(user_id)), ttl_ms)
        await pipe.execute()

    def _write_sync(self, ops: list[tuple[str, int]]) -> None:
        for op, user_id in ops:
            if op == "up":
                mark_connected(user_id)
            elif op == "down":
                mark_disconnected(user_id)
            else:
                for uid in list(self.sockets):
                    refresh(uid)

    def _client(self, location: str) -> Any:
        if self._redis is None or self._redis_location != location:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(location)
            self._redis_location = location
        return self._redis

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(max(presence_ttl() / 3, 0.01))
            await self.refresh_all()


_by_loop: dict[int, SocketPresence] = {}


def socket_presence() -> SocketPresence:
    """This event loop's SocketPresence (one per socket process in production)."""
    loop = asyncio.get_running_loop()
    found = _by_loop.get(id(loop))
    if found is None or found.loop is not loop:
        for key, other in list(_by_loop.items()):  # loops of finished tests
            if other.loop.is_closed():
                del _by_loop[key]
        found = _by_loop[id(loop)] = SocketPresence(loop)
    return found
