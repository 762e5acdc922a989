"""Who has at least one open socket, counted in the shared cache (Redis in production).

Used to decide whether a user is "offline" (e.g. to email about a chat message).

The count expires PRESENCE_TTL_SECONDS (90 s) after its last refresh. Every open socket
refreshes it from a heartbeat in the consumer (every third of the TTL), so a user stays
online exactly while some process holds a socket for them; a crashed or killed process
stops refreshing and cannot leave its users "online" for longer than the TTL.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


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
    """Heartbeat of one open socket: push the expiry back (re-create it if it lapsed)."""
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
    return (cache.get(_key(user_id)) or 0) > 0
