"""Registry of client-to-server WebSocket actions, filled by each app.

An app registers `async def handler(consumer, data) -> dict | None` for a message type
(e.g. "chat.send"). The consumer stays thin: it authenticates, looks up the handler and
sends back the reply or an error event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any] | None]]

_HANDLERS: dict[str, Handler] = {}


def register(message_type: str) -> Callable[[Handler], Handler]:
    def decorator(func: Handler) -> Handler:
        _HANDLERS[message_type] = func
        return func

    return decorator


def get_handler(message_type: str) -> Handler | None:
    return _HANDLERS.get(message_type)
