"""The JSON shapes chat pushes over the socket and returns over REST.

Plain dicts of JSON types (the channel layer serialises with msgpack, which knows no
datetimes); chat/serializers.py documents the same shapes for the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from chat.models import ExpertChatConversation, ExpertChatMessage


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def message_payload(message: ExpertChatMessage) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    attachment = None
    if message.attachment and not deleted:
        attachment = {
            "url": reverse("chat:message-attachment", args=[message.pk]),
            "name": message.attachment_name,
            "size": message.attachment_size,
            "content_type": message.attachment_content_type,
        }
    return {
        "conversation_id": message.conversation_id,
        "id": message.pk,
        "seq": message.seq,
        "rev": message.rev,
        "client_id": message.client_id,
        "sender_id": message.sender_id,
        "kind": message.kind,
        "text": "" if deleted else message.text,
        "reply_to": message.reply_to_id,
        "attachment": attachment,
        "created_at": _iso(message.created_at),
        "edited_at": _iso(message.edited_at),
        "deleted": deleted,
        "deleted_at": _iso(message.deleted_at),
        "read_at": _iso(message.read_at),
    }


def conversation_state_payload(conversation: ExpertChatConversation) -> dict[str, Any]:
    """The viewer-independent part of a conversation, pushed when its status changes."""
    return {
        "conversation_id": conversation.pk,
        "status": conversation.status,
        "blocked_by": conversation.blocked_by_id,
        "last_seq": conversation.last_seq,
        "last_rev": conversation.last_rev,
        "last_message_at": _iso(conversation.last_message_at),
    }
