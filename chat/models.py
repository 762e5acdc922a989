from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ExpertChatConversation(models.Model):
    """One thread per (user, expert) pair.

    `last_seq` is the per-conversation message counter: it is bumped under a row lock
    on every send, so seq order equals commit order and clients can resume from a seq.
    `last_rev` is the per-conversation change counter, bumped under the same lock by every
    send, edit and delete, so a client resuming from a rev also learns what changed.
    Read cursors and unread counters are kept per side so the list needs no counting.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"
        BLOCKED = "blocked", "Blocked"
        CLOSED = "closed", "Closed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_conversations"
    )
    expert = models.ForeignKey(
        "consultations.Expert", on_delete=models.CASCADE, related_name="chat_conversations"
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversations",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    last_rev = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    user_last_read_seq = models.PositiveBigIntegerField(default=0)
    expert_last_read_seq = models.PositiveBigIntegerField(default=0)
    user_unread = models.PositiveIntegerField(default=0)
    expert_unread = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Not a column: set on list pages by selectors.attach_last_messages (one query per page).
    last_message: ExpertChatMessage | None

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "expert"], name="chat_one_conversation_per_pair"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-last_message_at"]),
            models.Index(fields=["expert", "-last_message_at"]),
        ]

    def __str__(self) -> str:
        who = self.user.get_full_name() or self.user.email
        return f"Conversation between {who} and {self.expert}"

    @property
    def expert_user_id(self) -> int:
        return self.expert.user_id

    @property
    def participant_ids(self) -> list[int]:
        return [self.user_id, self.expert_user_id]

    def is_participant(self, user_id: int) -> bool:
        return user_id in self.participant_ids

    def other_participant_id(self, user_id: int) -> int:
        return self.expert_user_id if user_id == self.user_id else self.user_id

    def is_user_side(self, user_id: int) -> bool:
        return user_id == self.user_id

    def unread_for(self, user_id: int) -> int:
        return self.user_unread if self.is_user_side(user_id) else self.expert_unread

    def last_read_seq_for(self, user_id: int) -> int:
        return self.user_last_read_seq if self.is_user_side(user_id) else self.expert_last_read_seq


def participant_filter(user_id: int, prefix: str = "") -> Q:
    """Rows whose conversation has `user_id` on either side."""
    return Q(**{f"{prefix}user_id": user_id}) | Q(**{f"{prefix}expert__user_id": user_id})


def chat_attachment_path(instance: ExpertChatMessage, filename: str) -> str:
    # A random stored name: the original name is kept in the row, never in the path,
    # so names cannot collide, leak through the file system or be guessed.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"chat/{instance.conversation_id}/{uuid.uuid4().hex}{suffix}"


class ExpertChatMessage(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        IMAGE = "image", "Image"
        FILE = "file", "File"

    conversation = models.ForeignKey(
        ExpertChatConversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages"
    )
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField(blank=True)
    attachment = models.FileField(upload_to=chat_attachment_path, blank=True, max_length=200)
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_size = models.PositiveBigIntegerField(null=True, blank=True)
    attachment_content_type = models.CharField(max_length=100, blank=True)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    client_id = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    # The conversation's last_rev when this row last changed (created, edited, deleted).
    rev = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conversation_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq_unique"),
            # Also the index that resuming by rev reads.
            models.UniqueConstraint(fields=["conversation", "rev"], name="chat_message_rev_unique"),
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_id"],
                name="chat_message_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.conversation_id}#{self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
