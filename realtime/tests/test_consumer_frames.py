"""Every frame a client can send gets an answer; no frame crashes the socket.

Before: malformed JSON, a binary frame or `[` x 2000 closed the socket with 1011 (the
exception escaped the consumer) and disconnect() never ran, so the user stayed "online".
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from realtime.presence import is_online
from realtime.testing import connect_ws, receive_event

pytestmark = [pytest.mark.django_db(transaction=True)]

online = database_sync_to_async(is_online)


async def _still_alive(comm) -> None:
    await comm.send_json_to({"type": "ping", "request_id": "alive"})
    pong = await receive_event(comm, "pong")
    assert pong["data"]["request_id"] == "alive"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "{not json"}, "bad_json"),
        ({"text_data": "   "}, "bad_json"),
        ({"text_data": "NaN"}, "bad_json"),
        ({"text_data": '{"type": "ping", "data": Infinity}'}, "bad_json"),
        ({"bytes_data": b"\x00\x01binary"}, "bad_frame"),
        ({"text_data": "[" * 2000}, "too_deep"),
        ({"text_data": "[" * 2000 + "]" * 2000}, "too_deep"),
        ({"text_data": '{"type": "ping", "data": ' + '{"a": ' * 40 + "1" + "}" * 41}, "too_deep"),
        ({"text_data": '{"type": "ping", "x": "' + "a" * 70_000 + '"}'}, "frame_too_large"),
        ({"text_data": '"just a string"'}, "bad_request"),
        ({"text_data": "[1, 2]"}, "bad_request"),
        ({"text_data": '{"type": ["x"]}'}, "bad_request"),
    ],
)
async def test_bad_frame_gets_an_error_event_and_the_socket_lives(user, frame, code):
    comm = await connect_ws(user)
    await comm.send_to(**frame)
    err = await receive_event(comm, "error")
    assert err["data"]["code"] == code
    assert err["data"]["message"]
    await _still_alive(comm)
    await comm.disconnect()


async def test_oversized_frame_counts_bytes_not_characters(user, settings):
    settings.WS_MAX_FRAME_BYTES = 100
    comm = await connect_ws(user)
    await comm.send_to(text_data='{"type": "ping", "x": "' + "é" * 60 + '"}')  # 60 chars, 120 B
    assert (await receive_event(comm, "error"))["data"]["code"] == "frame_too_large"
    await comm.disconnect()


async def test_handler_crash_is_an_error_event_with_the_request_id(user, monkeypatch):
    from realtime import consumers

    async def broken(consumer, data):
        raise RuntimeError("boom")

    monkeypatch.setattr(consumers, "get_handler", lambda t: broken)
    comm = await connect_ws(user)
    await comm.send_json_to({"type": "chat.send", "request_id": "r9", "data": {}})
    err = await receive_event(comm, "error")
    assert err["data"] == {
        "request_id": "r9",
        "code": "server_error",
        "message": "Something went wrong.",
        "field": None,
    }
    await _still_alive(comm)
    await comm.disconnect()


async def test_crash_outside_handlers_still_runs_disconnect_cleanup(user, monkeypatch):
    """Even an exception the consumer does not catch ends with presence cleared."""
    from realtime.consumers import UserConsumer

    async def explode(self, content, **kwargs):
        raise RuntimeError("escaped")

    async def explode_error(self, *args, **kwargs):
        raise RuntimeError("cannot even report it")

    comm = await connect_ws(user)
    assert await online(user.id)
    monkeypatch.setattr(UserConsumer, "receive_json", explode)
    monkeypatch.setattr(UserConsumer, "_error", explode_error)
    await comm.send_json_to({"type": "ping"})
    with pytest.raises(RuntimeError):
        await comm.wait(timeout=5)
    assert not await online(user.id)


async def test_cleanup_clears_presence_even_if_leaving_the_group_fails(user, monkeypatch):
    from channels.layers import get_channel_layer

    comm = await connect_ws(user)
    assert await online(user.id)
    layer = get_channel_layer()

    async def failing_discard(*args, **kwargs):
        raise ConnectionError("redis went away")

    monkeypatch.setattr(layer, "group_discard", failing_discard)  # pub/sub layer proxies methods
    await comm.disconnect()
    assert not await online(user.id)
