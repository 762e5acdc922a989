"""Chat actions over the /ws/ socket. Same services as REST; refusals become `error` events.

Client → server (each may carry a `request_id`, echoed in the `<type>.ok` reply or error):
  chat.send    {conversation_id, text, client_id, reply_to?}
  chat.read    {conversation_id, message_id? | seq?}
  chat.typing  {conversation_id, is_typing?}
  chat.resume  {cursors?: {conversation_id: last_seq_seen | {seq, rev}}}
               A bare seq returns newer messages by seq (no edits or deletes of older
               ones); {seq, rev} returns every message created, edited or deleted after
               that rev, by rev. The reply's `conversations` carry each last_seq and last_rev.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from chat import selectors, services
from chat.payloads import message_payload
from chat.serializers import MarkReadSerializer, SendMessageSerializer, TypingSerializer
from project.api_errors import ServiceError
from project.parsing import MAX_ID, IdField
from project.reused_fields import ReusedFieldsMixin
from realtime.executor import in_action_thread
from realtime.handlers import register

MAX_RESUME_CURSORS = 500


def _in_db_thread(func):
    """Run `func` on the socket action threads (realtime/executor.py), not on Channels'
    single shared DB thread.

    Channels' thread would run one write at a time per process and delay every other
    socket's action behind it. Each action thread holds its own DB connection (from the
    pool when DB_POOL_SIZE is set). Concurrent sends in one conversation may then publish
    slightly out of seq order: clients order by seq and fetch gaps with chat.resume (they
    must anyway once several processes serve).
    """
    return in_action_thread(func)


class _ReusedFields(ReusedFieldsMixin, serializers.Serializer):
    """Socket frames are validated with fields built once per class (project/reused_fields.py):
    building them per frame was 12 % of a socket process's CPU at chat saturation."""


class _ConversationRef(_ReusedFields):
    conversation_id = IdField()


class _SocketSend(_ConversationRef, SendMessageSerializer):
    # Files go over REST (multipart); the socket carries text only. Setting a declared
    # field to None is DRF's way to drop it in a subclass, which the stubs do not model.
    attachment = None  # type: ignore[assignment]
    client_id = serializers.CharField(
        max_length=services.CLIENT_ID_MAX_LENGTH,
        help_text="Required on the socket: retries must be recognisable.",
    )


class _SocketRead(_ConversationRef, MarkReadSerializer):
    pass


class _SocketTyping(_ConversationRef, TypingSerializer):
    pass


def _validated(serializer_class: type[serializers.Serializer], data: dict) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        field, messages = next(iter(serializer.errors.items()))
        message = messages[0] if isinstance(messages, list) and messages else str(messages)
        raise ServiceError(
            str(message),
            field=None if field == "non_field_errors" else field,
            code=getattr(message, "code", None) or "invalid",
        )
    return serializer.validated_data


_SEND_KEYS = frozenset({"conversation_id", "text", "client_id", "reply_to"})


def _plain_id(value: Any) -> bool:
    return type(value) is int and 1 <= value <= MAX_ID


def _plain_text(value: Any) -> bool:
    # ASCII without NUL: nothing DRF's CharField would refuse (NUL, surrogates) or change.
    return type(value) is str and value.isascii() and "\x00" not in value


def _send_fields(data: dict) -> dict[str, Any]:
    """chat.send's fields as `_SocketSend` validates them.

    A frame as the client sends it (an int conversation id, ASCII text and client_id, an
    int or no reply_to, nothing else) is taken as it is; DRF would return the same values.
    Anything else goes through DRF, which also words the errors. Building and running the
    serializer was 6 % of a socket process's CPU per chat message (py-spy).
    """
    client_id: Any = data.get("client_id")
    reply_to = data.get("reply_to")
    if (
        data.keys() <= _SEND_KEYS
        and _plain_id(data.get("conversation_id"))
        and ("text" not in data or _plain_text(data["text"]))
        and _plain_text(client_id)
        and 0 < len(client_id) <= services.CLIENT_ID_MAX_LENGTH
        and client_id.strip() == client_id
        and (reply_to is None or _plain_id(reply_to))
    ):
        return dict(data)
    return _validated(_SocketSend, data)


def _counter(value: Any) -> int:
    """A non-negative int (JSON booleans and floats with a fraction are refused); else -1."""
    if isinstance(value, bool):
        return -1
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    if number > MAX_ID:  # past bigint: no row can have it
        return -1
    return number if number == value or isinstance(value, str) else -1


def _parse_cursor(value: Any) -> int | selectors.ResumeCursor | None:
    if not isinstance(value, dict):
        seq = _counter(value)
        return seq if seq >= 0 else None
    if set(value) - {"seq", "rev"} or not value:
        return None
    seq = _counter(value.get("seq", 0))
    rev = _counter(value["rev"]) if value.get("rev") is not None else None
    if seq < 0 or (rev is not None and rev < 0):
        return None
    return selectors.ResumeCursor(seq=seq, rev=rev)


def _parse_cursors(raw: Any) -> dict[int, int | selectors.ResumeCursor]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_RESUME_CURSORS:
        raise ServiceError(
            f"cursors must be an object of at most {MAX_RESUME_CURSORS} "
            "{conversation_id: last_seq or {seq, rev}} pairs.",
            field="cursors",
            code="invalid",
        )
    cursors: dict[int, int | selectors.ResumeCursor] = {}
    for key, value in raw.items():
        conversation_id = _counter(key)
        cursor = _parse_cursor(value)
        if conversation_id < 1 or cursor is None:
            raise ServiceError(
                "Each cursor maps a conversation id to a non-negative seq, "
                "or to {seq, rev} of non-negative integers.",
                field="cursors",
                code="invalid",
            )
        cursors[conversation_id] = cursor
    return cursors


@register("chat.send")
async def handle_send(consumer, data: dict) -> dict:
    if data.get("attachment") is not None:
        raise ServiceError(
            "Files are sent with a multipart POST to chat/<id>/send/, not over the socket.",
            field="attachment",
            code="attachment_not_supported",
        )
    fields = _send_fields(data)

    def send() -> dict:
        result = services.send_message(
            sender=consumer.user,
            conversation_id=fields["conversation_id"],
            text=fields.get("text", ""),
            client_id=fields["client_id"],
            reply_to_id=fields.get("reply_to"),
        )
        return {"message": message_payload(result.message), "duplicate": not result.created}

    return await _in_db_thread(send)()


@register("chat.read")
async def handle_read(consumer, data: dict) -> dict:
    fields = _validated(_SocketRead, data)

    def read() -> dict:
        result = services.mark_read(
            reader=consumer.user,
            conversation_id=fields["conversation_id"],
            up_to_seq=fields.get("seq"),
            message_id=fields.get("message_id"),
        )
        return {
            "conversation_id": result.conversation.pk,
            "up_to_seq": result.up_to_seq,
            "unread": result.unread,
        }

    return await _in_db_thread(read)()


@register("chat.typing")
async def handle_typing(consumer, data: dict) -> None:
    fields = _validated(_SocketTyping, data)
    # No reply: typing is fire-and-forget, and an ack per keystroke would double the traffic.
    await _in_db_thread(services.send_typing)(
        user=consumer.user,
        conversation_id=fields["conversation_id"],
        is_typing=fields["is_typing"],
    )
    return None


@register("chat.resume")
async def handle_resume(consumer, data: dict) -> dict:
    cursors = _parse_cursors(data.get("cursors"))

    def resume() -> dict:
        page = selectors.missed_messages(consumer.user.pk, cursors)
        return {
            "conversations": selectors.conversation_cursors(consumer.user.pk),
            "messages": [message_payload(m) for m in page.messages],
            "has_more": page.has_more,
        }

    return await _in_db_thread(resume)()
