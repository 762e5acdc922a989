"""Falling behind is never silent: a socket whose events arrive too late is told to resume
(close 4408), and the drop is counted and logged. Events an action publishes go out as one
channel-layer message per recipient."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone
from prometheus_client import REGISTRY

from realtime import encoding, layer_publish, stream
from realtime.consumers import CLOSE_BEHIND
from realtime.events import make_envelope, publish_batched, publish_to_users
from realtime.groups import user_group
from realtime.testing import GroupMessages, assert_no_event, connect_ws, receive_event

pytestmark = [pytest.mark.django_db(transaction=True)]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_socket_that_falls_behind_is_closed_to_resume_and_the_drop_counted(
    user, settings, caplog
):
    settings.REALTIME_MAX_LAG_SECONDS = 5
    comm = await connect_ws(user)
    dropped = sample("consult_realtime_events_dropped_total", reason="lag")
    resyncs = sample("consult_ws_resyncs_total")
    layer = get_channel_layer()
    fresh = make_envelope("notification.read", {"ids": [1], "unread_count": 0})
    stale = make_envelope("notification.read", {"ids": [2], "unread_count": 0})
    stale["ts"] = (timezone.now() - timedelta(seconds=30)).isoformat()
    await layer.group_send(user_group(user.id), {"type": "realtime.event", "event": fresh})
    assert (await receive_event(comm, "notification.read"))["data"]["ids"] == [1]

    with caplog.at_level(logging.WARNING, logger="realtime.consumers"):
        await layer.group_send(user_group(user.id), {"type": "realtime.event", "event": stale})
        closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": CLOSE_BEHIND}
    assert sample("consult_realtime_events_dropped_total", reason="lag") == dropped + 1
    assert sample("consult_ws_resyncs_total") == resyncs + 1
    assert any("behind" in r.getMessage() for r in caplog.records)
    await comm.disconnect()


async def test_an_action_publishes_one_layer_message_per_recipient(user, other_user, monkeypatch):
    first = await connect_ws(user)
    second = await connect_ws(other_user)
    sent: list[tuple[str, dict]] = []
    original = layer_publish.group_send

    async def spy(layer, group, message):
        sent.append((group, message))
        await original(layer, group, message)

    monkeypatch.setattr(layer_publish, "group_send", spy)
    messages = await sync_to_async(GroupMessages)()

    def publish() -> None:
        publish_to_users(
            [user.id, other_user.id], "notification.read", {"ids": [1], "unread_count": 0}
        )
        publish_to_users([other_user.id], "notification.read", {"ids": [2], "unread_count": 0})

    async with publish_batched():
        await database_sync_to_async(publish, thread_sensitive=False)()
        # Nothing leaves the action's thread; it goes out on exit.
        assert await sync_to_async(messages.collect)(0.1) == []
    # Stored events only: the stream script delivered them, one message per recipient.
    published = await sync_to_async(messages.collect)()
    await sync_to_async(messages.close)()
    assert sent == []
    assert sorted(group for group, _ in published) == sorted(
        [user_group(user.id), user_group(other_user.id)]
    )
    assert (await receive_event(first, "notification.read"))["data"]["ids"] == [1]
    got = [(await receive_event(second, "notification.read"))["data"]["ids"] for _ in range(2)]
    assert got == [[1], [2]]  # in publishing order
    await first.disconnect()
    await second.disconnect()


async def test_concurrent_publishes_share_pipelined_round_trips(user, other_user, monkeypatch):
    from redis.asyncio.client import Pipeline

    layer = get_channel_layer()
    assert isinstance(layer, layer_publish.RedisPubSubChannelLayer)  # the tests' layer
    first = await connect_ws(user)
    second = await connect_ws(other_user)
    executions: list[int] = []
    original = Pipeline.execute

    async def counting(self, *args, **kwargs):
        executions.append(len(self.command_stack))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counting)
    events = [
        make_envelope("notification.read", {"ids": [n], "unread_count": 0}) for n in range(20)
    ]
    await asyncio.gather(
        *(
            layer_publish.group_send(
                layer,
                user_group((user, other_user)[n % 2].id),
                {"type": "realtime.event", "event": e},
            )
            for n, e in enumerate(events)
        )
    )
    assert sum(executions) == 20 and len(executions) < 20  # batched, none lost
    got_first = [
        (await receive_event(first, "notification.read"))["data"]["ids"][0] for _ in range(10)
    ]
    got_second = [
        (await receive_event(second, "notification.read"))["data"]["ids"][0] for _ in range(10)
    ]
    assert got_first == list(range(0, 20, 2)) and got_second == list(range(1, 20, 2))  # in order
    await first.disconnect()
    await second.disconnect()


async def test_socket_actions_are_timed_and_none_left_in_flight(user):
    comm = await connect_ws(user)
    before = sample("consult_ws_action_duration_seconds_count", type="chat.resume")
    await comm.send_json_to({"type": "chat.resume", "request_id": "r1", "data": {}})
    reply = await receive_event(comm, "chat.resume.ok")
    assert reply["data"]["request_id"] == "r1"
    assert sample("consult_ws_action_duration_seconds_count", type="chat.resume") == before + 1
    assert sample("consult_ws_actions_in_flight") == 0
    await comm.disconnect()


async def _frame(user_id: int, ids: list[int], age: float = 0) -> list:
    """A frame as the stream script publishes it, for an event appended to the stream."""
    envelope = make_envelope("notification.read", {"ids": ids, "unread_count": 0})
    (position,) = await sync_to_async(stream.get_store().append_many)([user_id], envelope)
    stored = envelope | {"offset": position.offset, "epoch": position.epoch}
    ts = stream._timestamp(envelope) - age
    text = encoding.dumps(stored)
    return [text, position.offset, position.epoch, envelope["id"], stored["type"], ts]


async def test_script_frames_are_sent_once_in_offset_order_and_late_ones_close_the_socket(
    user, settings, caplog
):
    settings.REALTIME_MAX_LAG_SECONDS = 5
    comm = await connect_ws(user)
    layer = get_channel_layer()
    group = user_group(user.id)
    first, second = await _frame(user.id, [1]), await _frame(user.id, [2])
    # The second arrives first (another process published it sooner), then both again.
    await layer.group_send(group, {"type": "realtime.frames", "frames": [second]})
    await layer.group_send(group, {"type": "realtime.frames", "frames": [first, second]})
    got = [await comm.receive_json_from(timeout=5) for _ in range(2)]
    assert [(e["data"]["ids"], e["offset"]) for e in got] == [([1], first[1]), ([2], second[1])]
    await assert_no_event(comm)  # no duplicate

    stale = await _frame(user.id, [3], age=30)
    with caplog.at_level(logging.WARNING, logger="realtime.consumers"):
        await layer.group_send(group, {"type": "realtime.frames", "frames": [stale]})
        closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": CLOSE_BEHIND}
    await comm.disconnect()
