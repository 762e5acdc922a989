"""The durable per-user stream: offsets, epochs, replay on reconnect, gaps, acknowledgements."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from rest_framework.authtoken.models import Token

from project.asgi import application
from realtime import stream
from realtime.catalogue import NOTIFICATION_READ, SESSION_READY, STREAM_RESET
from realtime.events import make_envelope, publish_to_user, publish_to_users
from realtime.testing import assert_no_event

pytestmark = [pytest.mark.django_db(transaction=True)]


def read_event(n: int, unread: int = 0) -> dict:
    return {"ids": [n], "unread_count": unread}


@pytest.fixture(params=["redis", "memory"])
def store(request, settings):
    s = stream.RedisStreamStore(settings.REDIS_URL) if request.param == "redis" else None
    return s or stream.MemoryStreamStore()


# --------------------------------------------------------------------------- the store


def test_offsets_are_consecutive_per_user_and_share_an_epoch(store, make_user):
    a, b = make_user(), make_user()
    store.forget(a.pk), store.forget(b.pk)
    env = make_envelope(NOTIFICATION_READ, read_event(1))
    first = store.append_many([a.pk, b.pk], env)
    second = store.append_many([a.pk], env)
    assert [p.offset for p in first] == [1, 1]
    assert second[0].offset == 2 and second[0].epoch == first[0].epoch
    assert first[0].epoch != first[1].epoch  # each user's stream has its own epoch


def test_a_large_batch_is_appended_in_order_across_calls(store, make_user, settings):
    # Past _APPEND_BATCH_MAX appends the batch is split into several script calls (still
    # one round trip): offsets stay consecutive per user, in the order given.
    settings.REALTIME_STREAM_MAX_REPLAY = 1000
    a, b = make_user(), make_user()
    store.forget(a.pk), store.forget(b.pk)
    batch = [
        ([a.pk, b.pk] if n % 3 else [b.pk], make_envelope(NOTIFICATION_READ, read_event(n)))
        for n in range(1, 181)
    ]
    if isinstance(store, stream.RedisStreamStore):
        assert len(store._batch_calls(batch)) == 2
    positions = store.append_batch(batch)
    to_b = [p[-1].offset for p in positions]
    to_a = [p[0].offset for (users, _), p in zip(batch, positions, strict=True) if len(users) == 2]
    assert to_b == list(range(1, 181)) and to_a == list(range(1, 121))
    assert len({p.epoch for ps in positions for p in ps[-1:]}) == 1  # b's one epoch
    replay = store.resume(b.pk, positions[0][-1].epoch, 0)
    assert [e["data"]["ids"] for e in replay.events] == [[n] for n in range(1, 181)]


def test_resume_replays_exactly_what_was_missed_in_order(store, make_user):
    u = make_user()
    store.forget(u.pk)
    positions = [
        store.append_many([u.pk], make_envelope(NOTIFICATION_READ, read_event(n)))[0]
        for n in range(1, 6)
    ]
    epoch = positions[0].epoch
    resume = store.resume(u.pk, epoch, 2)
    assert not resume.resync
    assert [e["offset"] for e in resume.events] == [3, 4, 5]
    assert [e["data"]["ids"] for e in resume.events] == [[3], [4], [5]]
    assert {e["epoch"] for e in resume.events} == {epoch}
    assert resume.position == stream.Position(epoch, 5)
    up_to_date = store.resume(u.pk, epoch, 5)
    assert up_to_date.events == [] and not up_to_date.resync


def test_resume_asks_for_a_resync_when_history_cannot_cover_the_gap(store, make_user, settings):
    u = make_user()
    store.forget(u.pk)
    settings.REALTIME_STREAM_MAXLEN = 3
    settings.REALTIME_STREAM_MAX_REPLAY = 3
    for n in range(1, 11):
        pos = store.append_many([u.pk], make_envelope(NOTIFICATION_READ, read_event(n)))[0]
    assert store.resume(u.pk, pos.epoch, 1).resync  # trimmed past offset 1
    assert store.resume(u.pk, "another-epoch", 9).resync
    assert store.resume(u.pk, pos.epoch, 99).resync  # ahead of the stream: it went back
    # History lost (e.g. Redis flushed): a new epoch, so old positions resync.
    store.forget(u.pk)
    after = store.resume(u.pk, pos.epoch, 10)
    assert after.resync and after.position.epoch != pos.epoch and after.position.offset == 0


def test_acknowledgements_only_move_forward_within_the_epoch(store, make_user):
    u = make_user()
    store.forget(u.pk)
    pos = store.append_many([u.pk] * 1, make_envelope(NOTIFICATION_READ, read_event(1)))[0]
    store.append_many([u.pk], make_envelope(NOTIFICATION_READ, read_event(2)))
    store.ack(u.pk, pos.epoch, 2)
    store.ack(u.pk, pos.epoch, 1)
    assert store.acked(u.pk) == stream.Position(pos.epoch, 2)
    assert store.ack(u.pk, "stale-epoch", 5) == -1
    assert store.ack(u.pk, pos.epoch, 50) == 2  # never past the newest offset
    assert store.acked(u.pk) == stream.Position(pos.epoch, 2)


# --------------------------------------------------------------------------- the cursor


def test_cursor_sends_in_order_drops_duplicates_and_spots_gaps_and_resets():
    cursor = stream.StreamCursor(stream.Position("e1", 4))
    env = {"epoch": "e1", "id": "a", "offset": 5}
    assert cursor.classify(env) == "send"
    cursor.delivered(env)
    assert cursor.classify(env) == "drop"  # the same event again
    assert cursor.classify({"epoch": "e1", "id": "old", "offset": 3}) == "drop"
    assert cursor.classify({"epoch": "e1", "id": "c", "offset": 7}) == "gap"
    assert cursor.classify({"epoch": "e2", "id": "d", "offset": 1}) == "reset"
    # Offset 5 again but another event: the stream went back in time (lost writes).
    assert cursor.classify({"epoch": "e1", "id": "other", "offset": 5}) == "reset"


# --------------------------------------------------------------------------- the socket


async def open_ws(user, position: stream.Position | None = None):
    """Open /ws/ resuming from `position`; returns (communicator, replayed, session.ready)."""
    token = await database_sync_to_async(lambda: Token.objects.get_or_create(user=user)[0].key)()
    path = f"/ws/?token={token}"
    if position is not None:
        path += f"&epoch={position.epoch}&offset={position.offset}"
    comm = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://localhost")])
    connected, _ = await comm.connect(timeout=5)
    assert connected
    replayed: list[dict] = []
    while True:
        event = await comm.receive_json_from(timeout=5)
        if event["type"] == SESSION_READY:
            return comm, replayed, event["data"]
        replayed.append(event)


async def next_events(comm, n: int) -> list[dict]:
    return [await comm.receive_json_from(timeout=5) for _ in range(n)]


def _publish(user_id: int, n: int) -> None:
    publish_to_user(user_id, NOTIFICATION_READ, read_event(n))


publish = database_sync_to_async(_publish)


async def test_a_reconnecting_tab_gets_what_it_missed_then_live_events_without_gap(user):
    comm, replayed, ready = await open_ws(user)
    assert replayed == [] and ready["resync"] is True  # a new tab fetches its state
    start = stream.Position(**ready["stream"])
    await publish(user.id, 1)
    (live,) = await next_events(comm, 1)
    assert (live["offset"], live["epoch"]) == (start.offset + 1, start.epoch)
    await comm.disconnect()

    for n in (2, 3, 4):  # while the tab is away
        await publish(user.id, n)
    comm, replayed, ready = await open_ws(user, stream.Position(start.epoch, live["offset"]))
    assert [e["data"]["ids"] for e in replayed] == [[2], [3], [4]]
    assert [e["offset"] for e in replayed] == [start.offset + 2, start.offset + 3, start.offset + 4]
    assert ready == {
        "user_id": user.id,
        "stream": {"epoch": start.epoch, "offset": start.offset + 4},
        "replayed": 3,
        "resync": False,
    }
    await publish(user.id, 5)
    (after,) = await next_events(comm, 1)
    assert after["offset"] == start.offset + 5 and after["data"]["ids"] == [5]
    await comm.disconnect()


async def test_a_tab_whose_history_is_gone_is_told_to_resync(user):
    comm, _, ready = await open_ws(user)
    await comm.disconnect()
    await database_sync_to_async(stream.get_store().forget)(user.id)  # Redis lost it
    comm, replayed, ready2 = await open_ws(user, stream.Position(**ready["stream"]))
    assert replayed == [] and ready2["resync"] is True
    assert ready2["stream"]["epoch"] != ready["stream"]["epoch"]
    await comm.disconnect()


async def test_a_dropped_live_message_is_filled_from_the_stream_in_order(user):
    comm, _, _ready = await open_ws(user)
    # Appended to the stream but its live message never arrives (a dropped group_send).
    lost = make_envelope(NOTIFICATION_READ, read_event(1))
    await database_sync_to_async(stream.get_store().append_many)([user.id], lost)
    await publish(user.id, 2)
    first, second = await next_events(comm, 2)
    assert [first["data"]["ids"], second["data"]["ids"]] == [[1], [2]]
    assert second["offset"] == first["offset"] + 1
    await assert_no_event(comm)
    await comm.disconnect()


async def test_history_lost_while_connected_is_announced(user):
    comm, _, _ready = await open_ws(user)
    await database_sync_to_async(stream.get_store().forget)(user.id)
    await publish(user.id, 1)
    reset, event = await next_events(comm, 2)
    assert reset["type"] == STREAM_RESET
    assert reset["data"]["stream"] == {"epoch": event["epoch"], "offset": event["offset"] - 1}
    assert event["data"]["ids"] == [1]
    await comm.disconnect()


async def test_every_tab_sees_the_same_sequence(user, other_user):
    tabs = [(await open_ws(user))[0] for _ in range(2)]

    @database_sync_to_async
    def burst():
        for n in range(1, 21):
            publish_to_users([user.id, other_user.id], NOTIFICATION_READ, read_event(n))

    await burst()
    seqs = []
    for tab in tabs:
        events = await next_events(tab, 20)
        seqs.append([(e["offset"], e["data"]["ids"][0]) for e in events])
        await tab.disconnect()
    assert seqs[0] == seqs[1]
    assert [n for _, n in seqs[0]] == list(range(1, 21))
    offsets = [o for o, _ in seqs[0]]
    assert offsets == list(range(offsets[0], offsets[0] + 20))


async def test_typing_is_not_in_the_stream(user, other_user):
    from realtime.events import send_to_user_now

    comm, _, _ready = await open_ws(user)
    await database_sync_to_async(send_to_user_now)(
        user.id, "chat.typing", {"conversation_id": 1, "user_id": other_user.id, "is_typing": True}
    )
    (typing,) = await next_events(comm, 1)
    assert typing["type"] == "chat.typing" and "offset" not in typing
    await comm.disconnect()


async def test_ack_is_recorded_and_validated(user):
    comm, _, _ready = await open_ws(user)
    await publish(user.id, 1)
    (event,) = await next_events(comm, 1)
    await comm.send_json_to(
        {"type": "stream.ack", "request_id": "a1", "data": {"epoch": event["epoch"], "offset": -1}}
    )
    (err,) = await next_events(comm, 1)
    assert err["type"] == "error" and err["data"]["field"] == "offset"
    await comm.send_json_to(
        {
            "type": "stream.ack",
            "request_id": "a2",
            "data": {"epoch": event["epoch"], "offset": event["offset"]},
        }
    )
    # A socket handles its frames one at a time: the pong comes after the ack is stored, and
    # is the next frame, since acks are fire-and-forget (no reply). A timed wait for "no
    # event" let a loaded box read the ack before it was written.
    await comm.send_json_to({"type": "ping", "request_id": "after-ack"})
    (pong,) = await next_events(comm, 1)
    assert pong["type"] == "pong" and pong["data"]["request_id"] == "after-ack"
    acked = await database_sync_to_async(stream.get_store().acked)(user.id)
    assert acked == stream.Position(event["epoch"], event["offset"])
    await comm.disconnect()


@override_settings(REALTIME_ACK_TIMEOUT_SECONDS=0)
async def test_offset_in_session_ready_matches_the_stream(user):
    comm, _, ready = await open_ws(user)
    current = await database_sync_to_async(stream.get_store().resume)(user.id, None, None)
    assert ready["stream"] == current.position.as_dict()
    await comm.disconnect()
