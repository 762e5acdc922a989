"""Chat reads. Every query is scoped to conversations the viewer takes part in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Case, F, Q, QuerySet, When

from chat.models import ExpertChatConversation, ExpertChatMessage, participant_filter
from project.api_errors import NotFound

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def conversations_for(user_id: int) -> QuerySet[ExpertChatConversation]:
    return ExpertChatConversation.objects.filter(participant_filter(user_id)).select_related(
        "user", "expert", "expert__user"
    )


def get_conversation_for(user_id: int, conversation_id: Any) -> ExpertChatConversation:
    """The conversation if `user_id` takes part in it; 404 otherwise (existence is not leaked)."""
    try:
        return conversations_for(user_id).get(pk=int(conversation_id))
    except (ExpertChatConversation.DoesNotExist, TypeError, ValueError):
        raise NotFound(
            "Conversation not found.", field="conversation_id", code="conversation_not_found"
        ) from None


def find_conversation(user_id: int, expert_id: Any) -> ExpertChatConversation:
    try:
        return conversations_for(user_id).get(user_id=user_id, expert_id=int(expert_id))
    except (ExpertChatConversation.DoesNotExist, TypeError, ValueError):
        raise NotFound(
            "You have no conversation with this expert.",
            field="expert_id",
            code="conversation_not_found",
        ) from None


def get_message_for(user_id: int, message_id: Any) -> ExpertChatMessage:
    try:
        return (
            ExpertChatMessage.objects.filter(participant_filter(user_id, "conversation__"))
            .select_related("conversation", "conversation__expert")
            .get(pk=int(message_id))
        )
    except (ExpertChatMessage.DoesNotExist, TypeError, ValueError):
        raise NotFound("Message not found.", code="message_not_found") from None


def attach_last_messages(conversations: Sequence[ExpertChatConversation]) -> None:
    """Set `.last_message` on each conversation with one query (the row at `last_seq`)."""
    ids = [c.pk for c in conversations if c.last_seq]
    found: dict[int, ExpertChatMessage] = {}
    if ids:
        rows = ExpertChatMessage.objects.filter(
            conversation_id__in=ids, seq=F("conversation__last_seq")
        )
        found = {m.conversation_id: m for m in rows}
    for conversation in conversations:
        conversation.last_message = found.get(conversation.pk)


def list_conversations(
    user_id: int, *, status: str | None = None
) -> QuerySet[ExpertChatConversation]:
    qs = conversations_for(user_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(F("last_message_at").desc(nulls_last=True), "-id")


@dataclass(frozen=True)
class MessagePage:
    messages: list[ExpertChatMessage]
    has_more: bool


def list_messages(
    conversation: ExpertChatConversation,
    *,
    before: int | None = None,
    after: int | None = None,
    after_rev: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> MessagePage:
    """A page in ascending seq order, or with `after_rev` in ascending rev order.

    `after` pages forward (older to newer); `after_rev` returns every message created,
    edited or deleted after that rev, each once (tombstones included); otherwise the
    newest `limit` messages older than `before` (or the newest of all). `has_more` is
    about the direction paged in.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = ExpertChatMessage.objects.filter(conversation=conversation)
    if after_rev is not None:
        rows = list(qs.filter(rev__gt=after_rev).order_by("rev")[: limit + 1])
        return MessagePage(rows[:limit], len(rows) > limit)
    if after is not None:
        rows = list(qs.filter(seq__gt=after).order_by("seq")[: limit + 1])
        return MessagePage(rows[:limit], len(rows) > limit)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    rows = list(qs.order_by("-seq")[: limit + 1])
    return MessagePage(list(reversed(rows[:limit])), len(rows) > limit)


@dataclass(frozen=True)
class ResumeCursor:
    """Where a client stands in one conversation.

    With only `seq` (the legacy cursor) resuming returns newer messages by seq; with `rev`
    it returns every message created, edited or deleted after that rev, by rev.
    """

    seq: int = 0
    rev: int | None = None


def missed_messages(
    user_id: int, cursors: Mapping[int, int | ResumeCursor], *, limit: int | None = None
) -> MessagePage:
    """Messages after each cursor, for resuming: by conversation, then by seq or by rev.

    A plain int cursor is a seq. Cursors for conversations the user is not in are
    ignored. When more than `limit` messages are missing, the page is cut (a prefix in
    that order) and `has_more` tells the client to resume again from its advanced cursors.
    """
    limit = limit or settings.CHAT_RESUME_MAX_MESSAGES
    parsed = {
        pk: c if isinstance(c, ResumeCursor) else ResumeCursor(seq=c) for pk, c in cursors.items()
    }
    allowed = set(
        conversations_for(user_id).filter(pk__in=list(parsed)).values_list("pk", flat=True)
    )
    if not allowed:
        return MessagePage([], False)
    condition = Q()
    by_rev: list[int] = []
    for conversation_id in sorted(allowed):
        cursor = parsed[conversation_id]
        if cursor.rev is None:
            condition |= Q(conversation_id=conversation_id, seq__gt=cursor.seq)
        else:
            condition |= Q(conversation_id=conversation_id, rev__gt=cursor.rev)
            by_rev.append(conversation_id)
    position = (
        Case(When(conversation_id__in=by_rev, then=F("rev")), default=F("seq"))
        if by_rev
        else F("seq")
    )
    rows = list(
        ExpertChatMessage.objects.filter(condition).order_by("conversation_id", position)[
            : limit + 1
        ]
    )
    return MessagePage(rows[:limit], len(rows) > limit)


def conversation_cursors(user_id: int) -> list[dict[str, Any]]:
    """Every conversation's newest seq and rev, the viewer's unread count and how far the
    other side has read, for (re)syncing: receipts sent while a client was offline are not
    in the message feed, so a resume carries them here."""
    rows = (
        ExpertChatConversation.objects.filter(participant_filter(user_id))
        .annotate(
            my_unread=Case(
                When(user_id=user_id, then=F("user_unread")), default=F("expert_unread")
            ),
            other_read=Case(
                When(user_id=user_id, then=F("expert_last_read_seq")),
                default=F("user_last_read_seq"),
            ),
        )
        .order_by("pk")
        .values("pk", "last_seq", "last_rev", "my_unread", "other_read", "status")
    )
    return [
        {
            "conversation_id": r["pk"],
            "last_seq": r["last_seq"],
            "last_rev": r["last_rev"],
            "unread": r["my_unread"],
            "other_last_read_seq": r["other_read"],
            "status": r["status"],
        }
        for r in rows
    ]


def unread_counts(user_id: int) -> dict[str, Any]:
    """{"total": n, "conversations": {"<id>": n}} with only non-zero conversations listed."""
    rows = (
        ExpertChatConversation.objects.filter(participant_filter(user_id))
        .annotate(
            my_unread=Case(When(user_id=user_id, then=F("user_unread")), default=F("expert_unread"))
        )
        .filter(my_unread__gt=0)
        .values_list("pk", "my_unread")
    )
    per_conversation = {str(pk): count for pk, count in rows}
    return {"total": sum(per_conversation.values()), "conversations": per_conversation}


def count_unread_after(conversation: ExpertChatConversation, reader_id: int, after_seq: int) -> int:
    """Live messages from the other side that `reader_id` has not read yet."""
    return (
        ExpertChatMessage.objects.filter(
            conversation=conversation, seq__gt=after_seq, deleted_at__isnull=True
        )
        .exclude(sender_id=reader_id)
        .count()
    )
