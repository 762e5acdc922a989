"""Cache-backed limits: the per-user send rate and the typing-signal throttle.

Both live in the shared cache (Redis in production) so every daphne/web process sees
the same counters, and both apply to REST and WebSocket alike.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from project.api_errors import ServiceError

RATE_WINDOW_SECONDS = 60


def check_send_rate(user_id: int) -> None:
    """Count one send for `user_id`; refuse once the per-minute limit is passed."""
    limit = settings.CHAT_RATE_LIMIT_PER_MINUTE
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
        retry_after = max(1, int(opened + RATE_WINDOW_SECONDS - now + 0.999))
        raise ServiceError(
            f"Too many messages: at most {limit} per minute.",
            code="rate_limited",
            status_code=429,
            extra={"retry_after": retry_after},
        )


def typing_allowed(user_id: int, conversation_id: int) -> bool:
    """True at most once per throttle period per (user, conversation)."""
    return cache.add(
        f"chat:typing:{user_id}:{conversation_id}", 1, settings.CHAT_TYPING_THROTTLE_SECONDS
    )


def reset_typing(user_id: int, conversation_id: int) -> None:
    # After "stopped typing" the next keystroke must be announced straight away.
    cache.delete(f"chat:typing:{user_id}:{conversation_id}")
