"""A client that leaves before its reply or event is an everyday event, not a server error:
counted once per socket, logged without a traceback, and the socket still cleans up."""

from __future__ import annotations

import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from prometheus_client import REGISTRY
from rest_framework.authtoken.models import Token
from uvicorn.protocols.utils import ClientDisconnected

from project.asgi import application
from realtime.events import make_envelope
from realtime.groups import user_group
from realtime.presence import is_online

pytestmark = [pytest.mark.django_db(transaction=True)]


def gone_count() -> float:
    return REGISTRY.get_sample_value("consult_ws_clients_gone_total") or 0.0


async def test_replies_and_events_to_a_departed_client_are_dropped_quietly(user, caplog):
    gone = {"now": False}
    attempts: list[str] = []

    async def leaving_app(scope, receive, send):
        async def send_like_uvicorn(message):
            # uvicorn raises ClientDisconnected (an OSError) for a send after the peer left.
            if gone["now"] and message["type"] in ("websocket.send", "websocket.close"):
                attempts.append(message["type"])
                raise ClientDisconnected()
            await send(message)

        return await application(scope, receive, send_like_uvicorn)

    token = await database_sync_to_async(lambda: Token.objects.create(user=user).key)()
    comm = WebsocketCommunicator(
        leaving_app, f"/ws/?token={token}", headers=[(b"origin", b"http://localhost")]
    )
    assert (await comm.connect(timeout=5))[0]
    assert (await comm.receive_json_from(timeout=5))["type"] == "session.ready"
    before = gone_count()
    gone["now"] = True

    with caplog.at_level(logging.INFO):
        await comm.send_json_to({"type": "ping", "request_id": "r1"})  # its pong cannot go
        await comm.send_json_to({"type": "nope", "request_id": "r2"})  # nor this error
        event = make_envelope("notification.read", {"ids": [1], "unread_count": 0})
        await get_channel_layer().group_send(
            user_group(user.id), {"type": "realtime.event", "event": event}
        )
        assert await comm.receive_nothing(timeout=0.5)
        await comm.send_input({"type": "websocket.disconnect", "code": 1006})
        await comm.wait(timeout=5)

    assert gone_count() == before + 1  # once per socket, however many sends it missed
    assert attempts == ["websocket.send"]  # after the first, nothing more was tried
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert any("left before a frame could be sent" in r.getMessage() for r in caplog.records)
    assert not await database_sync_to_async(is_online)(user.id)  # cleanup still ran
