"""Helpers for tests that open real WebSockets through the full ASGI stack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from project.asgi import application

ORIGIN = (b"origin", b"http://localhost")


async def connect_ws(
    user: User | None = None,
    *,
    origin: bytes | None = b"http://localhost",
    token: str | None = None,
) -> WebsocketCommunicator:
    """Open /ws/ as `user` (token auth), skip the session.ready greeting, return it."""
    from channels.db import database_sync_to_async

    path = "/ws/"
    if user is not None and token is None:
        token = await database_sync_to_async(
            lambda: Token.objects.get_or_create(user=user)[0].key
        )()
    if token:
        path += f"?token={token}"
    headers = [(b"origin", origin)] if origin else []
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect(timeout=5)
    if connected and user is not None:
        greeting = await comm.receive_json_from(timeout=5)
        assert greeting["type"] == "session.ready"
    comm.connected = connected
    return comm


async def receive_event(
    comm: WebsocketCommunicator, event_type: str, timeout: float = 5
) -> dict[str, Any]:
    """Next event of `event_type`, skipping others (e.g. unread counters)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no {event_type} event within {timeout}s")
        event: dict[str, Any] = await comm.receive_json_from(timeout=left)
        if event["type"] == event_type:
            return event


async def assert_no_event(
    comm: WebsocketCommunicator, event_type: str | None = None, timeout: float = 0.5
) -> None:
    """Fail if an event (of `event_type`, or any) arrives within `timeout`.

    Uses receive_nothing: a timed-out receive_output would cancel the application.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0 or await comm.receive_nothing(timeout=left):
            return
        event = await comm.receive_json_from(timeout=1)
        if event_type is None or event["type"] == event_type:
            raise AssertionError(f"unexpected event {event}")


class GroupMessages:
    """Every channel-layer message published to users' groups while it is open, as Redis
    carried it: the socket processes' own sends and the stream script's alike."""

    def __init__(self) -> None:
        import redis
        from django.conf import settings

        layers: dict[str, Any] = settings.CHANNEL_LAYERS
        prefix = layers["default"]["CONFIG"]["prefix"]
        self._client = redis.Redis.from_url(settings.REDIS_URL)
        self._pubsub: Any = self._client.pubsub()  # type: ignore[no-untyped-call]
        self._pubsub.psubscribe(f"{prefix}__group__user.*")
        self._pubsub.get_message(timeout=5)  # the subscription's confirmation

    def collect(self, timeout: float = 0.3) -> list[tuple[str, dict[str, Any]]]:
        """(group, message) of each message published so far, in order."""
        import msgpack  # type: ignore[import-untyped]

        out: list[tuple[str, dict[str, Any]]] = []
        while True:
            raw = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
            if raw is None:
                return out
            group = raw["channel"].decode().split("__group__", 1)[1]
            out.append((group, msgpack.unpackb(raw["data"])))

    def close(self) -> None:
        self._pubsub.close()
        self._client.close()


def envelopes_in(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The events one channel-layer message carries, as the socket would send them."""
    if message["type"] == "realtime.event":
        return [message["event"]]
    if message["type"] == "realtime.events":
        return list(message["events"])
    return [json.loads(frame[0]) for frame in message["frames"]]  # realtime.frames
