"""Who has at least one open socket, counted in the shared cache (Redis in production).

Used to decide whether a user is "offline" (e.g. to email about a chat message).
A crashed server can leave a count behind; the TTL bounds how long that lies.
"""

from __future__ import annotations

from django.core.cache import cache

PRESENCE_TTL_SECONDS = 6 * 3600


def _key(user_id: int) -> str:
    return f"presence:user:{user_id}"


def mark_connected(user_id: int) -> None:
    key = _key(user_id)
    if not cache.add(key, 1, PRESENCE_TTL_SECONDS):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, PRESENCE_TTL_SECONDS)
    cache.touch(key, PRESENCE_TTL_SECONDS)


def mark_disconnected(user_id: int) -> None:
    key = _key(user_id)
    try:
        if cache.decr(key) <= 0:
            cache.delete(key)
    except ValueError:
        pass


def is_online(user_id: int) -> bool:
    return (cache.get(_key(user_id)) or 0) > 0
