"""Cache-backed limits: the per-user send rate and the typing-signal throttle.

Both live in the shared cache (Redis in production) so every daphne/web process sees
the same counters, and both apply to REST and WebSocket alike.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from project.api_errors import ServiceError
from project.cache_redis import cache_redis

RATE_WINDOW_SECONDS = 60


# One round trip: count, open the window on the first send, and say how long it has left.
# INCR keeps an existing expiry, so the window opens at the user's first send rather than
# on the clock's minute and a burst cannot straddle a boundary to get twice the limit.
_RATE_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
_script: Any = None


def _redis_client() -> Any | None:
    """The redis-py client behind the default cache when it is Redis, else None."""
    return cache_redis()


def _rate_limited(limit: int, retry_after: int) -> ServiceError:
    return ServiceError(
        f"Too many messages: at most {limit} per minute.",
        code="rate_limited",
        status_code=429,
        extra={"retry_after": max(1, retry_after)},
    )


def check_send_rate(user_id: int) -> None:
    """Count one send for `user_id`; refuse once the per-minute limit is passed.

    On Redis this is one Lua call (one round trip); other caches use add/incr.
    """
    limit = settings.CHAT_RATE_LIMIT_PER_MINUTE
    client = _redis_client()
    if client is not None:
        global _script
        if _script is None:
            _script = client.register_script(_RATE_SCRIPT)  # EVALSHA, loaded on first NOSCRIPT
        key = cache.make_key(f"chat:rate:{user_id}")
        count, ttl = _script(keys=[key], args=[RATE_WINDOW_SECONDS], client=client)
        if int(count) > limit:
            raise _rate_limited(limit, int(ttl))
        return
    now = time.time()
    # The window opens at the user's first send rather than on the clock's minute, so
    # a burst cannot straddle a boundary to get twice the limit through.
    key = f"chat:rate:{user_id}"
    if cache.add(key, 1, RATE_WINDOW_SECONDS):
        cache.set(f"{key}:opened", now, RATE_WINDOW_SECONDS)
        count = 1
    else:
        try:
            count = cache.incr(key)  # atomic on Redis and locmem, and keeps the expiry
        except ValueError:  # expired between add and incr
            cache.set(key, 1, RATE_WINDOW_SECONDS)
            cache.set(f"{key}:opened", now, RATE_WINDOW_SECONDS)
            count = 1
    if count > limit:
        opened = cache.get(f"{key}:opened") or now
        raise _rate_limited(limit, int(opened + RATE_WINDOW_SECONDS - now + 0.999))


def refund_send(user_id: int) -> None:
    """Give back a counted send that turned out to be a retry of a stored message."""
    try:
        cache.decr(f"chat:rate:{user_id}")
    except ValueError:  # the window expired meanwhile: nothing to give back
        pass


def typing_allowed(user_id: int, conversation_id: int) -> bool:
    """True at most once per throttle period per (user, conversation)."""
    return cache.add(
        f"chat:typing:{user_id}:{conversation_id}", 1, settings.CHAT_TYPING_THROTTLE_SECONDS
    )


def reset_typing(user_id: int, conversation_id: int) -> None:
    # After "stopped typing" the next keystroke must be announced straight away.
    cache.delete(f"chat:typing:{user_id}:{conversation_id}")
