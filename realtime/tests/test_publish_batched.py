"""What a socket action publishes: stream offsets in one Redis round trip, in publish order.

Inside `publish_batched` (every socket action) the stream appends of the events an action
published wait until its thread work ends and then go to Redis together; the layer gets
one message per recipient with that recipient's events in publish order.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async

from realtime import encoding, events, layer_publish, stream
from realtime.catalogue import CHAT_TYPING, NOTIFICATION_READ
from realtime.executor import ensure_executor, in_action_thread
from realtime.testing import GroupMessages, envelopes_in

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stream_round_trips(monkeypatch) -> list[list[str]]:
    """Every Redis round trip that appended to user streams (one script call, or several
    pipelined): the keys of the streams it appended to."""
    calls: list[list[str]] = []
    execute_pipeline = redis.client.Pipeline.execute
    execute_command = redis.Redis.execute_command

    def stream_keys(args: tuple[Any, ...]) -> list[str]:
        # EVALSHA sha numkeys <meta key> <stream key> ...
        if args[0] != "EVALSHA" or ":ustream:" not in str(args[3]):
            return []
        return [str(k) for k in args[3 : 3 + int(args[2])] if not str(k).endswith(":m")]

    def pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        keys = [k for command in self.command_stack for k in stream_keys(command[0])]
        if keys:
            calls.append(keys)
        return execute_pipeline(self, *args, **kwargs)

    def command(self: Any, *args: Any, **kwargs: Any) -> Any:
        keys = stream_keys(args)
        if keys:
            calls.append(keys)
        return execute_command(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", pipeline)
    monkeypatch.setattr(redis.Redis, "execute_command", command)
    return calls


@pytest.fixture
def layer_messages(monkeypatch) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(layer: Any, group: str, message: dict[str, Any]) -> None:
        sent.append((group, message))

    monkeypatch.setattr(layer_publish, "group_send", group_send)
    return sent


@pytest.fixture
def group_messages():
    messages = GroupMessages()
    yield messages
    messages.close()


def delivered(
    messages: list[tuple[str, dict[str, Any]]], user_id: int
) -> list[tuple[str, list[dict[str, Any]]]]:
    """What went to `user_id`'s group, message by message: (message type, its events)."""
    return [(m["type"], envelopes_in(m)) for group, m in messages if group == f"user.{user_id}"]


def read(n: int) -> dict[str, Any]:
    return {"ids": [n], "unread_count": 0}


def typing(user_id: int) -> dict[str, Any]:
    return {"conversation_id": 1, "user_id": user_id, "is_typing": True}


def events_of(messages: list[tuple[str, dict[str, Any]]], user_id: int) -> list[dict[str, Any]]:
    (message,) = [m for group, m in messages if group == f"user.{user_id}"]
    return [message["event"]] if message["type"] == "realtime.event" else message["events"]


def fresh_streams(*user_ids: int) -> None:
    for user_id in user_ids:
        stream.get_store().forget(user_id)


async def test_an_action_appends_everything_it_published_in_one_round_trip_in_order(
    user, other_user, stream_round_trips, layer_messages
):
    a, b = user.id, other_user.id
    await sync_to_async(fresh_streams)(a, b)

    def action() -> None:
        events.publish_to_users([a, b], NOTIFICATION_READ, read(1))
        events.send_to_user_now(b, CHAT_TYPING, typing(a))  # not stored: no offset
        events.publish_to_user(b, NOTIFICATION_READ, read(2))
        events.publish_to_user(a, NOTIFICATION_READ, read(3))

    ensure_executor()
    async with events.publish_batched():
        await in_action_thread(action)()
        # Appended when the action's thread work ended, before anything is sent.
        assert len(stream_round_trips) == 1 and layer_messages == []

    (keys,) = stream_round_trips
    assert sorted(keys) == sorted(stream.get_store()._keys(u)[1] for u in (a, b))
    to_a, to_b = events_of(layer_messages, a), events_of(layer_messages, b)
    assert [(e["data"]["ids"], e["offset"]) for e in to_a] == [([1], 1), ([3], 2)]
    assert [e["type"] for e in to_b] == [NOTIFICATION_READ, CHAT_TYPING, NOTIFICATION_READ]
    assert [e.get("offset") for e in to_b] == [1, None, 2]
    assert to_b[0]["id"] == to_a[0]["id"]  # one event, each recipient's offset
    assert len({e["epoch"] for e in to_a}) == 1 and to_a[0]["epoch"] != to_b[0]["epoch"]


async def test_each_thread_hop_of_an_action_appends_and_delivers_its_own_events_in_order(
    user, stream_round_trips, layer_messages, group_messages
):
    # Only stored events: the stream script delivers them as it appends them, one message
    # per hop, and nothing is left for the socket process to send on exit.
    await sync_to_async(fresh_streams)(user.id)
    ensure_executor()
    async with events.publish_batched():
        await in_action_thread(events.publish_to_user)(user.id, NOTIFICATION_READ, read(1))
        await in_action_thread(events.publish_to_user)(user.id, NOTIFICATION_READ, read(2))
    assert len(stream_round_trips) == 2 and layer_messages == []
    got = delivered(await sync_to_async(group_messages.collect)(), user.id)
    assert [(kind, [(e["data"]["ids"], e["offset"]) for e in es]) for kind, es in got] == [
        ("realtime.frames", [([1], 1)]),
        ("realtime.frames", [([2], 2)]),
    ]


async def test_events_published_outside_the_action_threads_get_offsets_before_the_send(
    user, stream_round_trips, layer_messages, group_messages
):
    await sync_to_async(fresh_streams)(user.id)
    async with events.publish_batched():
        await sync_to_async(events.publish_to_user, thread_sensitive=False)(
            user.id, NOTIFICATION_READ, read(1)
        )
        assert stream_round_trips == []
    assert len(stream_round_trips) == 1 and layer_messages == []
    ((_, (event,)),) = delivered(await sync_to_async(group_messages.collect)(), user.id)
    assert event["offset"] == 1


async def test_a_delivered_frame_is_the_envelope_encoded_with_its_offset(
    user, other_user, group_messages, settings, caplog
):
    # The script adds the offset and epoch to the stored JSON's end: byte for byte what
    # the socket process would have sent for the envelope with them (non-ASCII included).
    settings.REALTIME_STRICT_EVENTS = False  # a free-text field the catalogue lacks
    await sync_to_async(fresh_streams)(user.id, other_user.id)
    data = {"ids": [7], "unread_count": 3, "note": 'héllo ✓ "quoted"'}
    async with events.publish_batched():
        await in_action_thread(events.publish_to_users)(
            [user.id, other_user.id], NOTIFICATION_READ, data
        )
    messages = await sync_to_async(group_messages.collect)()
    for user_id in (user.id, other_user.id):
        ((_, message),) = [(g, m) for g, m in messages if g == f"user.{user_id}"]
        ((text, offset, epoch, event_id, event_type, ts),) = message["frames"]
        replay = await sync_to_async(stream.get_store().resume)(user_id, epoch, 0)
        (envelope,) = replay.events  # as stored, with offset and epoch added
        assert text == encoding.dumps(envelope)
        assert (offset, epoch, event_id, event_type) == (
            envelope["offset"],
            envelope["epoch"],
            envelope["id"],
            NOTIFICATION_READ,
        )
        assert abs(ts - stream._timestamp(envelope)) < 1e-3


async def test_a_failed_append_still_sends_every_event_live_without_offsets(
    user, other_user, layer_messages, monkeypatch, caplog
):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise redis.ConnectionError("redis is down")

    monkeypatch.setattr(stream.get_store(), "append_batch", refuse)
    ensure_executor()
    async with events.publish_batched():
        await in_action_thread(events.publish_to_users)(
            [user.id, other_user.id], NOTIFICATION_READ, read(1)
        )
    for user_id in (user.id, other_user.id):
        (event,) = events_of(layer_messages, user_id)
        assert event["data"]["ids"] == [1] and "offset" not in event
    assert "could not append notification.read" in caplog.text
