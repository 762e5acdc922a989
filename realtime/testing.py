"""Helpers for tests that open real WebSockets through the full ASGI stack."""

from __future__ import annotations

import asyncio
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
