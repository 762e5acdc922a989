"""Request validation and response shapes (for the OpenAPI schema) of the chat API.

Responses are built by chat/payloads.py so REST and socket events carry the same JSON.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat import selectors
from chat.models import ExpertChatConversation
from chat.payloads import message_payload
from project.parsing import MAX_ID, IdField

# --- responses -----------------------------------------------------------------------


class AttachmentSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Authorised download; participants only.")
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()


class MessageSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="Increases by one per message in a conversation.")
    rev = serializers.IntegerField(
        help_text="The conversation's change counter when this message was last created, "
        "edited or deleted; resume with `after_rev` / a {seq, rev} cursor to get changes."
    )
    client_id = serializers.CharField()
    sender_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["text", "image", "file"])
    text = serializers.CharField(allow_blank=True, help_text="Blank once deleted.")
    reply_to = serializers.IntegerField(allow_null=True)
    attachment = AttachmentSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField()
    deleted_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True, help_text="When the recipient read it.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return message_payload(instance)


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ChatExpertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    headline = serializers.CharField()
    avatar_url = serializers.CharField(
        allow_null=True, help_text="128 px picture of the expert; null: show initials."
    )


def _display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


class ConversationSerializer(serializers.Serializer):
    """A conversation as the requesting user sees it (context["user_id"])."""

    id = serializers.IntegerField()
    user = ParticipantSerializer()
    expert = ChatExpertSerializer()
    consultation_id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=ExpertChatConversation.Status.choices)
    blocked_by = serializers.IntegerField(allow_null=True)
    last_seq = serializers.IntegerField()
    last_rev = serializers.IntegerField(help_text="Newest change (send, edit, delete) counter.")
    last_message_at = serializers.DateTimeField(allow_null=True)
    last_message = MessageSerializer(allow_null=True)
    unread_count = serializers.IntegerField()
    my_last_read_seq = serializers.IntegerField()
    other_last_read_seq = serializers.IntegerField(
        help_text="How far the other participant has read (for read receipts)."
    )
    other_participant = ParticipantSerializer()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: ExpertChatConversation) -> dict[str, Any]:
        me = self.context["user_id"]
        other_id = instance.other_participant_id(me)
        other = instance.expert.user if other_id == instance.expert.user_id else instance.user
        last = getattr(instance, "last_message", None)
        return {
            "id": instance.pk,
            "user": {"id": instance.user_id, "name": _display_name(instance.user)},
            "expert": {
                "id": instance.expert_id,
                "user_id": instance.expert.user_id,
                "name": instance.expert.name,
                "headline": instance.expert.headline,
                "avatar_url": instance.expert.picture_url(thumb=True),
            },
            "consultation_id": instance.consultation_id,
            "status": instance.status,
            "blocked_by": instance.blocked_by_id,
            "last_seq": instance.last_seq,
            "last_rev": instance.last_rev,
            "last_message_at": (
                instance.last_message_at.isoformat() if instance.last_message_at else None
            ),
            "last_message": message_payload(last) if last is not None else None,
            "unread_count": instance.unread_for(me),
            "my_last_read_seq": instance.last_read_seq_for(me),
            "other_last_read_seq": instance.last_read_seq_for(other_id),
            "other_participant": {"id": other.pk, "name": _display_name(other)},
            "created_at": instance.created_at.isoformat(),
        }


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "integer"}, "example": {"12": 3}}
)
class CountsByConversationField(serializers.DictField):
    pass


class UnreadCountSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    conversations = CountsByConversationField(
        help_text="Unread count per conversation id; conversations with none are left out."
    )


class MessagePageSerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    has_more = serializers.BooleanField(
        help_text="More messages exist in the direction paged "
        "(older, or newer with `after` / `after_rev`)."
    )
    last_seq = serializers.IntegerField(help_text="The conversation's newest seq.")
    last_rev = serializers.IntegerField(help_text="The conversation's newest change counter.")


class SendResultSerializer(MessageSerializer):
    duplicate = serializers.BooleanField(
        help_text="True when this client_id was already stored; the stored message is returned."
    )


class ReadResultSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    up_to_seq = serializers.IntegerField()
    unread = serializers.IntegerField()


# --- requests ------------------------------------------------------------------------


class ConversationLookupSerializer(serializers.Serializer):
    expert_id = IdField()


class ConversationCreateSerializer(serializers.Serializer):
    expert_id = IdField()
    consultation_id = IdField(required=False, allow_null=True)


class ConversationListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ExpertChatConversation.Status.choices, required=False)


class MessagePageQuerySerializer(serializers.Serializer):
    before = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        required=False,
        help_text="Messages with seq lower than this (older).",
    )
    after = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        required=False,
        help_text="Messages with seq higher than this (newer).",
    )
    after_rev = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        required=False,
        help_text="Messages created, edited or deleted after this rev, in rev order.",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=selectors.MAX_PAGE_SIZE, default=selectors.DEFAULT_PAGE_SIZE
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("before", "after", "after_rev") if attrs.get(name) is not None]
        if len(given) > 1:
            raise serializers.ValidationError(
                {given[-1]: ["Give only one of before, after and after_rev."]}
            )
        return attrs


class SendMessageSerializer(serializers.Serializer):
    # Length and emptiness are checked by the service, so the socket path gets the same
    # errors; here only the types are checked.
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"At most {settings.CHAT_MESSAGE_MAX_LENGTH} characters.",
    )
    client_id = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Client-generated id; resending the same one never makes a second message.",
    )
    reply_to = IdField(required=False, allow_null=True)
    attachment = serializers.FileField(
        required=False, help_text="PNG, JPEG, GIF, WebP or PDF (multipart only)."
    )


class EditMessageSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class MarkReadSerializer(serializers.Serializer):
    message_id = IdField(required=False, allow_null=True)
    seq = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_ID,
        help_text="Read up to this seq.",
    )


class TypingSerializer(serializers.Serializer):
    is_typing = serializers.BooleanField(default=True)


class TypingResultSerializer(serializers.Serializer):
    delivered = serializers.BooleanField(help_text="False when throttled.")
