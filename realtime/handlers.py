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


DisconnectHook = Callable[[Any], Awaitable[None]]
_DISCONNECT_HOOKS: list[DisconnectHook] = []


def on_disconnect(func: DisconnectHook) -> DisconnectHook:
    """Register `async def hook(consumer)`, run once when an authenticated socket closes
    (e.g. to close the call attendance the socket reported). Hooks must be cheap for
    sockets they have nothing to do with."""
    _DISCONNECT_HOOKS.append(func)
    return func


def disconnect_hooks() -> tuple[DisconnectHook, ...]:
    return tuple(_DISCONNECT_HOOKS)
