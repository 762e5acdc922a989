"""Chat over /ws/ through the full ASGI stack and the real channels-redis layer.

`user` (two tabs) talks to `expert_user`; `third_user` is connected too and must hear nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from django.conf import settings

from chat import selectors, services
from chat.models import ExpertChatConversation, ExpertChatMessage
from realtime.testing import assert_no_event, connect_ws, receive_event

pytestmark = [pytest.mark.django_db(transaction=True)]

BASE = "/api/v1/consultations/chat/"


async def until(comm, *types: str, timeout: float = 5) -> dict[str, dict[str, Any]]:
    """Read events until one of each of `types` arrived; returns the first of each type.

    Unlike receive_event, it keeps every wanted type whatever order they arrive in.
    """
    wanted = set(types)
    found: dict[str, dict[str, Any]] = {}
    while wanted - set(found):
        event = await comm.receive_json_from(timeout=timeout)
        if event["type"] in wanted and event["type"] not in found:
            found[event["type"]] = event
    return found


async def request(comm, type_: str, data: dict, request_id: str = "r1") -> dict[str, Any]:
    """Send an action; return its `<type>.ok` reply or its `error` event."""
    await comm.send_json_to({"type": type_, "request_id": request_id, "data": data})
    while True:
        event = await comm.receive_json_from(timeout=5)
        if (
            event["type"] in (f"{type_}.ok", "error")
            and event["data"].get("request_id") == request_id
        ):
            return event


@database_sync_to_async
def db_state(conversation) -> tuple[int, int, int, int]:
    conversation.refresh_from_db()
    return (
        conversation.last_seq,
        conversation.user_unread,
        conversation.expert_unread,
        ExpertChatMessage.objects.filter(conversation=conversation).count(),
    )


@database_sync_to_async
def rest_send(client_for, sender, conversation, text: str) -> dict:
    response = client_for(sender).post(
        f"{BASE}{conversation.pk}/send/", {"text": text}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
async def sockets(user, expert_user, third_user):
    comms = {
        "tab1": await connect_ws(user),
        "tab2": await connect_ws(user),
        "expert": await connect_ws(expert_user),
        "third": await connect_ws(third_user),
    }
    yield comms
    for comm in comms.values():
        try:
            await comm.disconnect()
        except (Exception, asyncio.CancelledError):
            # A test that failed mid-receive leaves a cancelled app behind; the
            # database flush after this fixture must still run.
            pass


async def test_send_reaches_every_tab_of_both_participants_only(
    sockets, conversation, user, expert_user
):
    reply = await request(
        sockets["tab1"],
        "chat.send",
        {"conversation_id": conversation.pk, "text": "hello", "client_id": "c1"},
    )
    assert reply["type"] == "chat.send.ok"
    sent = reply["data"]["message"]
    assert reply["data"]["duplicate"] is False
    assert sent["seq"] == 1 and sent["text"] == "hello" and sent["sender_id"] == user.pk

    for name in ("tab1", "tab2", "expert"):
        event = await receive_event(sockets[name], "chat.message")
        assert event["data"] == sent
        assert event["data"]["conversation_id"] == conversation.pk
    unread = await receive_event(sockets["expert"], "chat.unread")
    assert unread["data"] == {
        "total": 1,
        "conversations": {str(conversation.pk): 1},
        "conversation_id": conversation.pk,
        "unread": 1,
        "version": unread["data"]["version"],  # numbered under the unread lock
    }
    assert isinstance(unread["data"]["version"], int)
    await assert_no_event(sockets["third"])
    await assert_no_event(sockets["tab2"], "chat.unread")  # the sender has nothing unread
    assert await db_state(conversation) == (1, 0, 1, 1)


async def test_a_send_stores_its_events_in_one_redis_round_trip_in_publish_order(
    sockets, conversation, user, expert_user, monkeypatch
):
    """chat.message to both participants and chat.unread to the recipient: three stream
    appends, one script call; the recipient's offsets follow the publish order."""
    appends: list[tuple[Any, ...]] = []
    execute_pipeline = redis.client.Pipeline.execute
    execute_command = redis.Redis.execute_command

    def pipelined(pipe: Any, *args: Any, **kwargs: Any) -> Any:
        appends.extend(c[0] for c in pipe.command_stack if ":ustream:" in str(c[0]))
        return execute_pipeline(pipe, *args, **kwargs)

    def command(client: Any, *args: Any, **kwargs: Any) -> Any:
        if args[0] == "EVALSHA" and ":ustream:" in str(args):
            appends.append(args)
        return execute_command(client, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", pipelined)
    monkeypatch.setattr(redis.Redis, "execute_command", command)
    reply = await request(
        sockets["tab1"],
        "chat.send",
        {"conversation_id": conversation.pk, "text": "hello", "client_id": "c1"},
    )
    assert reply["type"] == "chat.send.ok"
    (call,) = appends  # one call: both participants' streams (meta hash and stream each)
    assert call[0] == "EVALSHA" and int(call[2]) == 4

    message = await receive_event(sockets["expert"], "chat.message")
    unread = await sockets["expert"].receive_json_from(timeout=5)  # right after it
    assert unread["type"] == "chat.unread"
    assert unread["offset"] == message["offset"] + 1 and unread["epoch"] == message["epoch"]
    tab1 = await receive_event(sockets["tab1"], "chat.message")
    tab2 = await receive_event(sockets["tab2"], "chat.message")
    assert tab1["offset"] == tab2["offset"] and tab1["id"] == tab2["id"] == message["id"]


async def test_read_receipt_and_unread_counts(sockets, conversation, user, expert_user):
    for i in range(3):
        await request(
            sockets["tab1"],
            "chat.send",
            {"conversation_id": conversation.pk, "text": f"m{i}", "client_id": f"c{i}"},
            request_id=f"s{i}",
        )
    totals = [(await receive_event(sockets["expert"], "chat.unread"))["data"]["total"]]
    while totals[-1] < 3:
        totals.append((await receive_event(sockets["expert"], "chat.unread"))["data"]["total"])
    assert totals == [1, 2, 3]

    reply = await request(
        sockets["expert"], "chat.read", {"conversation_id": conversation.pk, "seq": 2}
    )
    assert reply["type"] == "chat.read.ok"
    assert reply["data"]["up_to_seq"] == 2 and reply["data"]["unread"] == 1
    # The reader's own tabs learn the new counts too.
    found = await until(sockets["expert"], "chat.read", "chat.unread")
    assert found["chat.unread"]["data"]["total"] == 1
    assert found["chat.unread"]["data"]["unread"] == 1

    for name in ("tab1", "tab2", "expert"):
        receipt = found["chat.read"] if name == "expert" else None
        receipt = receipt or await receive_event(sockets[name], "chat.read")
        assert receipt["data"]["reader_id"] == expert_user.pk
        assert receipt["data"]["up_to_seq"] == 2
        assert receipt["data"]["conversation_id"] == conversation.pk
    await assert_no_event(sockets["third"])


async def test_typing_goes_to_the_other_side_throttled_and_unstored(
    sockets, conversation, user, expert_user
):
    data = {"conversation_id": conversation.pk}
    await sockets["tab1"].send_json_to({"type": "chat.typing", "data": data})
    await sockets["tab1"].send_json_to({"type": "chat.typing", "data": data})
    await sockets["tab2"].send_json_to({"type": "chat.typing", "data": data})
    event = await receive_event(sockets["expert"], "chat.typing")
    assert event["data"] == {
        "conversation_id": conversation.pk,
        "user_id": user.pk,
        "is_typing": True,
    }
    await assert_no_event(sockets["expert"], "chat.typing", timeout=0.7)  # throttled
    await sockets["tab1"].send_json_to(
        {"type": "chat.typing", "data": {**data, "is_typing": False}}
    )
    stopped = await receive_event(sockets["expert"], "chat.typing")
    assert stopped["data"]["is_typing"] is False
    await assert_no_event(sockets["tab2"], "chat.typing")  # not echoed to the typist
    await assert_no_event(sockets["third"])
    assert await db_state(conversation) == (0, 0, 0, 0)


async def test_edit_and_delete_are_pushed_to_both(sockets, conversation, user, client_for):
    sent = await rest_send(client_for, user, conversation, "helo")
    await until(sockets["expert"], "chat.message", "chat.unread")

    @database_sync_to_async
    def edit_then_delete():
        client = client_for(user)
        assert (
            client.patch(
                f"{BASE}messages/{sent['id']}/", {"text": "hello"}, format="json"
            ).status_code
            == 200
        )
        assert client.delete(f"{BASE}messages/{sent['id']}/").status_code == 204

    await edit_then_delete()
    for name in ("tab1", "tab2", "expert"):
        found = await until(sockets[name], "chat.message_edited", "chat.message_deleted")
        assert found["chat.message_edited"]["data"]["text"] == "hello"
        assert found["chat.message_edited"]["data"]["edited_at"]
        deleted = found["chat.message_deleted"]["data"]
        assert deleted["id"] == sent["id"] and deleted["deleted"] and deleted["text"] == ""
    # Deleting the only unread message clears the expert's count.
    unread = await receive_event(sockets["expert"], "chat.unread")
    assert unread["data"]["total"] == 0 and unread["data"]["unread"] == 0
    await assert_no_event(sockets["third"])


async def test_resume_after_disconnect_loses_nothing_and_duplicates_nothing(
    sockets, conversation, user, expert_user, client_for
):
    expert = sockets["expert"]
    await request(
        sockets["tab1"],
        "chat.send",
        {"conversation_id": conversation.pk, "text": "before", "client_id": "b1"},
    )
    seen = await receive_event(expert, "chat.message")
    last_seen = seen["data"]["seq"]
    await expert.disconnect()

    # While the expert is away: three from REST, one over the user's socket.
    for i in range(3):
        await rest_send(client_for, user, conversation, f"offline {i}")
    await request(
        sockets["tab2"],
        "chat.send",
        {"conversation_id": conversation.pk, "text": "offline socket", "client_id": "o4"},
        request_id="r9",
    )

    back = await connect_ws(expert_user)
    sockets["expert"] = back  # the fixture disconnects it
    reply = await request(back, "chat.resume", {"cursors": {str(conversation.pk): last_seen}})
    assert reply["type"] == "chat.resume.ok"
    messages = reply["data"]["messages"]
    assert [m["seq"] for m in messages] == [2, 3, 4, 5]
    assert [m["text"] for m in messages] == [
        "offline 0",
        "offline 1",
        "offline 2",
        "offline socket",
    ]
    assert reply["data"]["has_more"] is False
    assert reply["data"]["conversations"] == [
        {
            "conversation_id": conversation.pk,
            "last_seq": 5,
            "last_rev": 5,
            "unread": 5,
            "other_last_read_seq": 0,
            "status": "active",
        }
    ]
    await assert_no_event(back, "chat.message")  # nothing replayed twice

    # Resuming again from the new cursor yields nothing; live delivery carries on.
    again = await request(back, "chat.resume", {"cursors": {str(conversation.pk): 5}}, "r2")
    assert again["data"]["messages"] == []
    await rest_send(client_for, user, conversation, "live again")
    live = await receive_event(back, "chat.message")
    assert live["data"]["seq"] == 6


async def test_resume_by_rev_returns_new_edited_and_deleted_messages_once_in_rev_order(
    sockets, conversation, user, expert_user, client_for
):
    expert = sockets["expert"]
    first = await request(
        sockets["tab1"],
        "chat.send",
        {"conversation_id": conversation.pk, "text": "frist", "client_id": "a1"},
    )
    second = await request(
        sockets["tab1"],
        "chat.send",
        {"conversation_id": conversation.pk, "text": "oops", "client_id": "a2"},
        "r2",
    )
    first_id = first["data"]["message"]["id"]
    second_id = second["data"]["message"]["id"]
    live = [(await receive_event(expert, "chat.message"))["data"] for _ in range(2)]
    cursor = {"seq": max(m["seq"] for m in live), "rev": max(m["rev"] for m in live)}
    assert cursor == {"seq": 2, "rev": 2}
    await expert.disconnect()

    # While the expert is away: a new message, an edit of an old one, a delete of another,
    # and a message that is both sent and edited (it must come back once, edited).
    @database_sync_to_async
    def offline_changes() -> None:
        client = client_for(user)
        assert client.post(f"{BASE}{conversation.pk}/send/", {"text": "new"}).status_code == 201
        assert (
            client.patch(f"{BASE}messages/{first_id}/", {"text": "first"}, format="json")
        ).status_code == 200
        assert client.delete(f"{BASE}messages/{second_id}/").status_code == 204
        fresh = services.send_message(sender=user, conversation_id=conversation.pk, text="tpyo")
        services.edit_message(editor=user, message_id=fresh.message.pk, text="typo")

    await offline_changes()

    back = await connect_ws(expert_user)
    sockets["expert"] = back
    reply = await request(back, "chat.resume", {"cursors": {str(conversation.pk): cursor}})
    assert reply["type"] == "chat.resume.ok", reply
    changes = reply["data"]["messages"]
    assert [(m["seq"], m["rev"], m["text"], m["deleted"]) for m in changes] == [
        (3, 3, "new", False),
        (1, 4, "first", False),
        (2, 5, "", True),
        (4, 7, "typo", False),
    ]
    assert changes[1]["edited_at"] and changes[2]["deleted_at"]
    assert reply["data"]["has_more"] is False
    (state,) = reply["data"]["conversations"]
    assert (state["last_seq"], state["last_rev"]) == (4, 7)
    await assert_no_event(back, "chat.message")  # nothing replayed live

    # From the new cursor: nothing; a cut page resumes where it stopped, no duplicates.
    again = await request(
        back, "chat.resume", {"cursors": {str(conversation.pk): {"seq": 4, "rev": 7}}}, "r3"
    )
    assert again["data"]["messages"] == []

    @database_sync_to_async
    def cut_pages() -> list[list[int]]:
        pages, rev, more = [], 0, True
        while more:
            page = selectors.missed_messages(
                expert_user.pk, {conversation.pk: selectors.ResumeCursor(seq=0, rev=rev)}, limit=2
            )
            pages.append([m.rev for m in page.messages])
            rev, more = page.messages[-1].rev if page.messages else rev, page.has_more
        return pages

    assert await cut_pages() == [[3, 4], [5, 7]]

    # The legacy seq cursor behaves as before: only newer seqs, edits not included.
    legacy = await request(back, "chat.resume", {"cursors": {str(conversation.pk): 2}}, "r4")
    assert [m["seq"] for m in legacy["data"]["messages"]] == [3, 4]


async def test_edit_and_delete_events_carry_the_new_rev(sockets, conversation, user):
    sent = await request(
        sockets["tab1"],
        "chat.send",
        {"conversation_id": conversation.pk, "text": "x", "client_id": "e1"},
    )
    assert sent["data"]["message"]["rev"] == 1
    message_id = sent["data"]["message"]["id"]
    await database_sync_to_async(services.edit_message)(
        editor=user, message_id=message_id, text="y"
    )
    await database_sync_to_async(services.delete_message)(user=user, message_id=message_id)
    found = await until(
        sockets["expert"], "chat.message", "chat.message_edited", "chat.message_deleted"
    )
    assert [found[t]["data"]["rev"] for t in sorted(found)] == [1, 3, 2]


@pytest.mark.parametrize(
    "cursor",
    [{"rev": -1}, {"seq": 1, "rev": "x"}, {"seq": 1, "extra": 2}, {}, {"rev": True}, [1], 1.5],
)
async def test_resume_refuses_malformed_rev_cursors(sockets, conversation, cursor):
    bad = await request(sockets["tab1"], "chat.resume", {"cursors": {str(conversation.pk): cursor}})
    assert bad["type"] == "error" and bad["data"]["field"] == "cursors"


async def test_resume_without_cursors_lists_last_seqs_and_ignores_foreign(
    sockets, conversation, user, third_user
):
    await database_sync_to_async(services.send_message)(
        sender=user, conversation_id=conversation.pk, text="x"
    )
    mine = await request(sockets["tab1"], "chat.resume", {})
    assert mine["data"]["messages"] == []
    assert mine["data"]["conversations"][0]["last_seq"] == 1
    foreign = await request(sockets["third"], "chat.resume", {"cursors": {str(conversation.pk): 0}})
    assert foreign["data"] == {
        "request_id": "r1",
        "conversations": [],
        "messages": [],
        "has_more": False,
    }
    bad = await request(sockets["tab1"], "chat.resume", {"cursors": {"x": -1}}, "r3")
    assert bad["type"] == "error" and bad["data"]["field"] == "cursors"


async def test_retried_send_with_same_client_id_makes_one_message(sockets, conversation, user):
    data = {"conversation_id": conversation.pk, "text": "once", "client_id": "same-id"}
    first = await request(sockets["tab1"], "chat.send", data, "a")
    # The retry may come from another tab after a reconnect: still the same message.
    retry = await request(sockets["tab2"], "chat.send", data, "b")
    assert retry["type"] == "chat.send.ok" and retry["data"]["duplicate"] is True
    assert retry["data"]["message"]["id"] == first["data"]["message"]["id"]
    await receive_event(sockets["expert"], "chat.message")
    await assert_no_event(sockets["expert"], "chat.message", timeout=0.7)
    assert await db_state(conversation) == (1, 0, 1, 1)


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"text": ""}, "text", "message_empty"),
        ({"text": "  "}, "text", "message_empty"),
        ({"text": "x" * (settings.CHAT_MESSAGE_MAX_LENGTH + 1)}, "text", "text_too_long"),
        ({"text": "hi", "client_id": None}, "client_id", "null"),
        ({"text": "hi", "conversation_id": "abc"}, "conversation_id", "invalid"),
        ({"text": "hi", "conversation_id": 999999}, "conversation_id", "conversation_not_found"),
        ({"text": "hi", "attachment": "aGVsbG8="}, "attachment", "attachment_not_supported"),
    ],
)
async def test_send_refusals_over_socket_write_nothing(sockets, conversation, data, field, code):
    payload = {"conversation_id": conversation.pk, "client_id": "c1", **data}
    reply = await request(sockets["tab1"], "chat.send", payload, "bad")
    assert reply["type"] == "error"
    assert (reply["data"]["field"], reply["data"]["code"]) == (field, code)
    assert reply["data"]["request_id"] == "bad"
    await assert_no_event(sockets["expert"])
    assert await db_state(conversation) == (0, 0, 0, 0)


async def test_non_participant_blocked_and_rate_limit_over_socket(
    sockets, conversation, user, expert_user, settings
):
    data = {"conversation_id": conversation.pk, "text": "hi", "client_id": "c1"}
    stranger = await request(sockets["third"], "chat.send", data)
    assert stranger["type"] == "error" and stranger["data"]["code"] == "conversation_not_found"
    stranger_read = await request(
        sockets["third"], "chat.read", {"conversation_id": conversation.pk}
    )
    assert stranger_read["data"]["code"] == "conversation_not_found"
    stranger_typing = await request(
        sockets["third"], "chat.typing", {"conversation_id": conversation.pk}, "t1"
    )
    assert stranger_typing["data"]["code"] == "conversation_not_found"

    await database_sync_to_async(services.block_conversation)(
        user=expert_user, conversation_id=conversation.pk
    )
    blocked = await request(sockets["tab1"], "chat.send", data, "b1")
    assert blocked["type"] == "error" and blocked["data"]["code"] == "conversation_blocked"
    blocker = await request(sockets["expert"], "chat.send", data, "b2")
    assert blocker["data"]["code"] == "conversation_blocked_by_you"
    assert await db_state(conversation) == (0, 0, 0, 0)
    await database_sync_to_async(services.unblock_conversation)(
        user=expert_user, conversation_id=conversation.pk
    )

    settings.CHAT_RATE_LIMIT_PER_MINUTE = 2
    for i in range(2):
        ok = await request(sockets["tab1"], "chat.send", {**data, "client_id": f"k{i}"}, f"k{i}")
        assert ok["type"] == "chat.send.ok"
    flood = await request(sockets["tab1"], "chat.send", {**data, "client_id": "k2"}, "k2")
    assert flood["type"] == "error"
    assert flood["data"]["code"] == "rate_limited" and flood["data"]["retry_after"] >= 1
    assert (await db_state(conversation))[3] == 2
    await assert_no_event(sockets["third"])


async def test_archived_conversation_reopens_on_socket_message(
    sockets, conversation, user, expert_user
):
    await database_sync_to_async(services.archive_conversation)(
        user=user, conversation_id=conversation.pk
    )
    state = await receive_event(sockets["expert"], "chat.conversation")
    assert state["data"]["status"] == "archived"
    sent = await request(
        sockets["expert"],
        "chat.send",
        {"conversation_id": conversation.pk, "text": "still there?", "client_id": "x"},
    )
    assert sent["type"] == "chat.send.ok", sent
    archived = await receive_event(sockets["tab1"], "chat.conversation")
    reopened = await receive_event(sockets["tab1"], "chat.conversation")
    assert [archived["data"]["status"], reopened["data"]["status"]] == ["archived", "active"]
    status = await database_sync_to_async(
        lambda: ExpertChatConversation.objects.get(pk=conversation.pk).status
    )()
    assert status == "active"


def test_socket_frames_reuse_their_fields_and_keep_no_state_between_frames():
    """Fields are built once per serializer class (not per frame); each frame is still
    validated on its own: an error never leaks into the next frame's result."""
    from chat import socket_handlers
    from project.api_errors import ServiceError

    first = socket_handlers._SocketSend(data={"conversation_id": 1, "client_id": "a"})
    second = socket_handlers._SocketSend(data={"conversation_id": "x", "client_id": "b"})
    assert first.fields is second.fields  # built once
    assert all(field.parent is second for field in second.fields.values())  # re-bound

    with pytest.raises(ServiceError) as bad:
        socket_handlers._validated(
            socket_handlers._SocketSend, {"conversation_id": "x", "client_id": "b"}
        )
    assert bad.value.field == "conversation_id"
    good = socket_handlers._validated(
        socket_handlers._SocketSend, {"conversation_id": 7, "client_id": "c", "text": "hi"}
    )
    assert good == {"conversation_id": 7, "client_id": "c", "text": "hi"}
    with pytest.raises(ServiceError) as missing:
        socket_handlers._validated(socket_handlers._SocketSend, {"conversation_id": 7})
    assert missing.value.field == "client_id"
    read = socket_handlers._validated(socket_handlers._SocketRead, {"conversation_id": 3})
    assert read == {"conversation_id": 3}
