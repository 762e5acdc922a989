"""Chat writes. REST views and WebSocket handlers both call these, nothing else writes.

Ordering guarantee: a message's `seq` is taken from its conversation row while that row
is locked (select_for_update) and the lock is held until commit, so seqs commit in order
with no gaps. Live events go out on commit, so a client that sees seq N can trust that
1..N-1 exist, and can fetch anything it missed with the selectors' resume query.

Edits and deletes change rows that already have a seq, so each write (send, edit, delete)
also takes the next `rev` from the conversation under the same lock: resuming from a rev
returns new and changed rows alike, each once, in the order they changed.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg.pq import TransactionStatus

from chat import selectors
from chat.attachments import check_attachment
from chat.models import ExpertChatConversation, ExpertChatMessage, participant_filter
from chat.payloads import conversation_state_payload, message_payload
from chat.signals import chat_message_created
from chat.throttling import check_send_rate, refund_send, reset_typing, typing_allowed
from consultations.models import Consultation, Expert
from project.api_errors import Conflict, NotAllowed, NotFound, ServiceError
from project.metrics import CHAT_SENDS, labelled
from project.prepared import prepared_cursor
from realtime.events import publish_to_user, publish_to_users, send_to_user_now

logger = logging.getLogger(__name__)

Status = ExpertChatConversation.Status
CLIENT_ID_MAX_LENGTH = 64


@dataclass(frozen=True)
class SendResult:
    message: ExpertChatMessage
    created: bool  # False when a retried client_id returned the message stored earlier


@dataclass(frozen=True)
class ReadResult:
    conversation: ExpertChatConversation
    up_to_seq: int
    unread: int
    changed: bool


# --- helpers -------------------------------------------------------------------------


def _lock_conversation(user_id: int, conversation_id: Any) -> ExpertChatConversation:
    try:
        pk = int(conversation_id)
    except (TypeError, ValueError):
        pk = None
    conversation = (
        ExpertChatConversation.objects.select_for_update(of=("self",))
        .select_related("expert")
        .filter(participant_filter(user_id), pk=pk)
        .first()
        if pk is not None
        else None
    )
    if conversation is None:
        raise NotFound(
            "Conversation not found.", field="conversation_id", code="conversation_not_found"
        )
    return conversation


def _clean_text(raw: Any, *, allow_empty: bool) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise ServiceError("Text must be a string.", field="text", code="invalid")
    text: str = raw.strip()
    if "\x00" in text:  # PostgreSQL text cannot hold NUL; refuse it instead of a 500
        raise ServiceError("Text contains a NUL character.", field="text", code="invalid")
    limit = settings.CHAT_MESSAGE_MAX_LENGTH
    if len(text) > limit:
        raise ServiceError(
            f"A message can have at most {limit} characters.",
            field="text",
            code="text_too_long",
            extra={"max_length": limit},
        )
    if not text and not allow_empty:
        raise ServiceError("The message is empty.", field="text", code="message_empty")
    return text


def _clean_client_id(client_id: Any) -> str:
    if client_id in (None, ""):
        # REST callers may omit it; they then get no retry protection.
        return uuid.uuid4().hex
    cleaned = str(client_id).strip()
    if not cleaned or len(cleaned) > CLIENT_ID_MAX_LENGTH or not cleaned.isprintable():
        raise ServiceError(
            f"client_id must be 1 to {CLIENT_ID_MAX_LENGTH} printable characters.",
            field="client_id",
            code="invalid_client_id",
        )
    return cleaned


def _ensure_can_write(conversation: ExpertChatConversation, user_id: int) -> None:
    if conversation.status == Status.BLOCKED:
        if conversation.blocked_by_id == user_id:
            raise NotAllowed(
                "You blocked this conversation; unblock it to send messages.",
                code="conversation_blocked_by_you",
            )
        raise NotAllowed(
            "The other participant blocked this conversation.", code="conversation_blocked"
        )
    if conversation.status == Status.CLOSED:
        raise NotAllowed("This conversation is closed.", code="conversation_closed")


def _next_rev(conversation: ExpertChatConversation, message: ExpertChatMessage) -> None:
    """Stamp `message` as the conversation's newest change; the caller holds the row lock."""
    conversation.last_rev += 1
    message.rev = conversation.last_rev


def _set_unread(conversation: ExpertChatConversation, user_id: int, value: int) -> None:
    if conversation.is_user_side(user_id):
        conversation.user_unread = value
    else:
        conversation.expert_unread = value


# Unread counters live on the conversation rows and change in the writing transaction.
# The pushed total covers every conversation of the user, so writes that change one user's
# counters take this per-user transaction lock (always after their conversation row lock,
# never before, so no deadlock) and count in a later statement: of two concurrent sends to
# one recipient in different conversations, the second to commit counts both.
_UNREAD_LOCK_SPACE = 0x63680000_00000000  # "ch" in the top bits, the user id below


def _lock_unread(user_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_UNREAD_LOCK_SPACE + user_id])


# Each pushed count carries a `version` taken under the user's unread lock, so versions
# follow the order the counts were taken in (the commit order). The pushes themselves may
# reach a tab out of that order: two sends to one recipient from different processes are
# appended to the recipient's stream after their commits, in whatever order the processes
# get to Redis. The client keeps the count with the highest version. A sequence, because
# nextval() is not rolled back and never repeats; the CTE (volatile, so never inlined) runs
# it once per count and yields a row even when nothing is unread.
_UNREAD_VERSION = "SELECT nextval('chat_unread_version') AS version"

_UNREAD_SQL = f"""
WITH v AS ({_UNREAD_VERSION})
SELECT v.version, u.id, u.unread
  FROM v LEFT JOIN (
       SELECT c.id,
              CASE WHEN c.user_id = %(user)s THEN c.user_unread ELSE c.expert_unread END
                AS unread
         FROM {ExpertChatConversation._meta.db_table} c
         JOIN {Expert._meta.db_table} e ON e.id = c.expert_id
        WHERE (c.user_id = %(user)s AND c.user_unread > 0)
           OR (e.user_id = %(user)s AND c.expert_unread > 0)
  ) u ON true
"""


def _versioned_counts(rows: list[tuple[int, int | None, int | None]]) -> dict[str, Any]:
    """Rows of (version, conversation id or None, unread) as the `chat.unread` counts."""
    per_conversation = {str(pk): count for _version, pk, count in rows if pk is not None}
    return {
        "total": sum(per_conversation.values()),
        "conversations": per_conversation,
        "version": rows[0][0],
    }


def _unread_counts(user_id: int) -> dict[str, Any]:
    """selectors.unread_counts in plain SQL, with its version: on the send path the ORM's
    query building cost more CPU than the query (a quarter of a socket process's time)."""
    if connection.vendor != "postgresql":
        # SQLite writes one transaction at a time and this runs after the write, so the
        # clock, read here, orders the counts as their commits.
        return {**selectors.unread_counts(user_id), "version": time.time_ns()}
    with prepared_cursor() as cursor:
        cursor.execute(_UNREAD_SQL, {"user": user_id})
        return _versioned_counts(cursor.fetchall())


def _publish_unread(user_id: int, conversation_id: int) -> None:
    """Count `user_id`'s unread messages now (inside the transaction, under the per-user
    lock) and push them on commit."""
    counts = _unread_counts(user_id)
    publish_to_user(
        user_id,
        "chat.unread",
        {
            **counts,
            "conversation_id": conversation_id,
            "unread": counts["conversations"].get(str(conversation_id), 0),
        },
    )


def _publish_state(conversation: ExpertChatConversation) -> None:
    publish_to_users(
        conversation.participant_ids,
        "chat.conversation",
        conversation_state_payload(conversation),
    )


def _announce_created(message: ExpertChatMessage, recipient_id: int) -> None:
    def send() -> None:
        for receiver, result in chat_message_created.send_robust(
            sender=ExpertChatMessage, message=message, recipient_ids=[recipient_id]
        ):
            if isinstance(result, Exception):
                logger.error("chat_message_created receiver %r failed: %r", receiver, result)

    transaction.on_commit(send, robust=True)


# --- conversations -------------------------------------------------------------------


def get_or_create_conversation(
    *, user: AbstractBaseUser, expert_id: Any, consultation_id: Any = None
) -> tuple[ExpertChatConversation, bool]:
    try:
        expert = Expert.objects.get(
            pk=int(expert_id), verification_status=Expert.VerificationStatus.APPROVED
        )
    except (Expert.DoesNotExist, TypeError, ValueError):
        raise NotFound("Expert not found.", field="expert_id", code="expert_not_found") from None
    if expert.user_id == user.pk:
        raise ServiceError(
            "You cannot start a conversation with yourself.",
            field="expert_id",
            code="cannot_chat_with_self",
        )
    consultation = None
    if consultation_id not in (None, ""):
        try:
            consultation = Consultation.objects.get(
                pk=int(consultation_id), user_id=user.pk, expert=expert
            )
        except (Consultation.DoesNotExist, TypeError, ValueError):
            raise ServiceError(
                "No such consultation of yours with this expert.",
                field="consultation_id",
                code="consultation_not_found",
            ) from None

    with transaction.atomic():
        # get_or_create retries the read on IntegrityError, so two racing requests
        # for the same pair end with one row (the unique constraint decides).
        conversation, created = ExpertChatConversation.objects.get_or_create(
            user_id=user.pk, expert=expert, defaults={"consultation": consultation}
        )
        if not created and consultation and conversation.consultation_id is None:
            conversation.consultation = consultation
            conversation.save(update_fields=["consultation", "updated_at"])
        if created:
            _publish_state(conversation)
    return conversation, created


def archive_conversation(
    *, user: AbstractBaseUser, conversation_id: Any, archived: bool = True
) -> ExpertChatConversation:
    with transaction.atomic():
        conversation = _lock_conversation(user.pk, conversation_id)
        if conversation.status in (Status.BLOCKED, Status.CLOSED):
            raise Conflict(
                f"A {conversation.status} conversation cannot be archived or restored.",
                code=f"conversation_{conversation.status}",
            )
        target = Status.ARCHIVED if archived else Status.ACTIVE
        if conversation.status != target:
            conversation.status = target
            conversation.save(update_fields=["status", "updated_at"])
            _publish_state(conversation)
    return conversation


def block_conversation(*, user: AbstractBaseUser, conversation_id: Any) -> ExpertChatConversation:
    with transaction.atomic():
        conversation = _lock_conversation(user.pk, conversation_id)
        if conversation.status == Status.CLOSED:
            raise Conflict("This conversation is closed.", code="conversation_closed")
        if conversation.status == Status.BLOCKED:
            if conversation.blocked_by_id != user.pk:
                raise Conflict(
                    "The other participant already blocked this conversation.",
                    code="conversation_blocked",
                )
            return conversation
        conversation.status = Status.BLOCKED
        conversation.blocked_by_id = user.pk
        conversation.save(update_fields=["status", "blocked_by", "updated_at"])
        _publish_state(conversation)
    return conversation


def unblock_conversation(*, user: AbstractBaseUser, conversation_id: Any) -> ExpertChatConversation:
    with transaction.atomic():
        conversation = _lock_conversation(user.pk, conversation_id)
        if conversation.status != Status.BLOCKED:
            return conversation
        if conversation.blocked_by_id != user.pk:
            raise NotAllowed(
                "Only the participant who blocked the conversation can unblock it.",
                code="not_blocker",
            )
        conversation.status = Status.ACTIVE
        conversation.blocked_by = None
        conversation.save(update_fields=["status", "blocked_by", "updated_at"])
        _publish_state(conversation)
    return conversation


# --- messages ------------------------------------------------------------------------


_Msg = ExpertChatMessage._meta.db_table
_Conv = ExpertChatConversation._meta.db_table
_Exp = Expert._meta.db_table
# Allocates seq and rev, bumps the recipient's unread counter and the conversation's times
# (the UPDATE holds the row lock until commit, so seqs commit in order and stay gapless),
# refuses a client_id already stored and a reply_to outside the conversation, inserts the
# message and takes the recipient's unread lock, all in one round trip. It returns no row
# when anything is unusual; a concurrent retry of the same client_id loses on the unique
# constraint and the whole statement rolls back, so no seq is ever skipped.
_FAST_SEND_SQL = f"""
WITH conv AS (
    UPDATE {_Conv} AS c
       SET last_seq = c.last_seq + 1,
           last_rev = c.last_rev + 1,
           last_message_at = %(now)s,
           updated_at = %(now)s,
           user_unread = c.user_unread + (c.user_id <> %(sender)s)::int,
           expert_unread = c.expert_unread + (c.user_id = %(sender)s)::int
      FROM {_Exp} AS e
     WHERE c.id = %(conversation)s
       AND e.id = c.expert_id
       AND (c.user_id = %(sender)s OR e.user_id = %(sender)s)
       AND c.status = 'active'
       AND (%(reply_to)s::bigint IS NULL OR EXISTS (
            SELECT 1 FROM {_Msg} r WHERE r.id = %(reply_to)s AND r.conversation_id = c.id))
       AND NOT EXISTS (
            SELECT 1 FROM {_Msg} d
             WHERE d.conversation_id = c.id AND d.sender_id = %(sender)s
               AND d.client_id = %(client_id)s)
 RETURNING c.id, c.last_seq, c.last_rev,
           CASE WHEN c.user_id = %(sender)s THEN e.user_id ELSE c.user_id END AS recipient_id
), msg AS (
    INSERT INTO {_Msg} (conversation_id, sender_id, kind, text, attachment, attachment_name,
                        attachment_size, attachment_content_type, reply_to_id, client_id,
                        seq, rev, created_at)
    SELECT id, %(sender)s, 'text', %(text)s, '', '', NULL, '', %(reply_to)s, %(client_id)s,
           last_seq, last_rev, %(now)s
      FROM conv
 RETURNING id
)
SELECT msg.id, conv.last_seq, conv.last_rev, conv.recipient_id,
       pg_advisory_xact_lock({_UNREAD_LOCK_SPACE} + conv.recipient_id)
  FROM msg, conv
"""


# The recipient's unread counts right after the send, in the same transaction: the send
# took the recipient's unread lock, and this later statement's snapshot (READ COMMITTED: one
# per statement) sees every send to that recipient committed before the lock was granted.
# It is queued behind the send in one pipeline, before the send's row (and so the
# recipient) is known, so it finds the recipient itself: the conversation's other party.
# When the send returned no row its result is discarded. Folding the count into the send's
# own statement would not do: that statement's snapshot is taken before it waits for the
# lock, so two concurrent sends to one recipient could each miss the other's message.
_UNREAD_AFTER_SEND_SQL = f"""
WITH r AS (
    SELECT CASE WHEN c.user_id = %(sender)s THEN e.user_id ELSE c.user_id END AS uid
      FROM {_Conv} c
      JOIN {_Exp} e ON e.id = c.expert_id
     WHERE c.id = %(conversation)s
), v AS ({_UNREAD_VERSION})
SELECT v.version, u.id, u.unread
  FROM v LEFT JOIN (
       SELECT c.id, c.user_unread AS unread
         FROM {_Conv} c, r
        WHERE c.user_id = r.uid AND c.user_unread > 0
       UNION ALL
       SELECT c.id, c.expert_unread
         FROM {_Conv} c
         JOIN {_Exp} e ON e.id = c.expert_id, r
        WHERE e.user_id = r.uid AND c.expert_unread > 0
  ) u ON true
"""


def _pipelined_send(params: dict[str, Any]) -> tuple[Any, list[Any]]:
    """Run the send and the recipient's unread count in one transaction and ONE round trip:
    both statements go out together in psycopg's pipeline mode, then one Sync, and the
    server answers them together. Sent one at a time with BEGIN and COMMIT they were four
    round trips, each a wait for the action thread and a wake-up for PostgreSQL.

    PostgreSQL runs what a pipeline sends up to a Sync as one implicit transaction (the
    connection is in autocommit outside Django's atomic blocks): committed at the Sync,
    rolled back whole when a statement fails, and the unread lock the send takes is held
    through the count. Explicit BEGIN and COMMIT cost the socket process a third more CPU
    here for nothing. Inside a caller's transaction a savepoint stands around the two, and
    the events wait for the caller's commit (transaction.on_commit), as everywhere else.

    Returns the send's row (None when the careful path must decide) and the count's rows;
    raises Django's IntegrityError when a concurrent retry stored this client_id first
    (rolled back)."""
    connection.ensure_connection()
    raw = connection.connection
    # In a caller's transaction (an atomic block, or autocommit turned off by hand).
    nested = connection.in_atomic_block or not connection.get_autocommit()
    send = prepared_cursor()
    count = prepared_cursor()
    try:
        with connection.wrap_database_errors:
            try:
                with raw.pipeline():
                    if nested:
                        raw.execute(_SAVEPOINT)
                    send.execute(_FAST_SEND_SQL, params)
                    count.execute(_UNREAD_AFTER_SEND_SQL, params)
                    if nested:
                        raw.execute(_RELEASE)
                # The pipeline's end sent it all and collected every answer.
                return send.fetchone(), count.fetchall()
            except Exception:
                # Outside a transaction the failed implicit one is gone with the Sync. In a
                # caller's, the failed statement left it aborted and skipped the RELEASE
                # queued behind it: back to the savepoint, so the caller's work goes on.
                if nested and not raw.broken and raw.info.transaction_status == _INERROR:
                    raw.execute(_ROLLBACK_TO)
                    raw.execute(_RELEASE)
                raise
    finally:
        send.close()
        count.close()


_INERROR = TransactionStatus.INERROR
_SAVEPOINT = "SAVEPOINT chat_send"
_RELEASE = "RELEASE SAVEPOINT chat_send"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT chat_send"


def _send_text_fast(
    sender_id: int, conversation_id: Any, text: str, client_id: str, reply_to_id: Any
) -> SendResult | None:
    """The common send: two statements in one transaction, one round trip (see
    `_pipelined_send`); None when the careful path must decide (it then finds the retry,
    or raises the precise error)."""
    try:
        pk = int(conversation_id)
        reply_to = None if reply_to_id in (None, "") else int(reply_to_id)
    except (TypeError, ValueError):
        return None
    now = timezone.now()
    params: dict[str, Any] = {
        "now": now,
        "sender": sender_id,
        "conversation": pk,
        "reply_to": reply_to,
        "client_id": client_id,
        "text": text,
    }
    try:
        row, unread_rows = _pipelined_send(params)
    except IntegrityError:
        return None  # a concurrent retry stored this client_id first
    if row is None:
        return None
    message_id, seq, rev, recipient_id = row[:4]
    message = ExpertChatMessage(
        id=message_id,
        conversation_id=pk,
        sender_id=sender_id,
        kind=ExpertChatMessage.Kind.TEXT,
        text=text,
        client_id=client_id,
        seq=seq,
        rev=rev,
        reply_to_id=reply_to,
        created_at=now,
    )
    message._state.adding = False
    # Committed already (or, inside a caller's transaction, sent on its commit): the
    # publishing helpers' on_commit runs these at once outside a transaction.
    publish_to_users([sender_id, recipient_id], "chat.message", message_payload(message))
    counts = _versioned_counts(unread_rows)
    publish_to_user(
        recipient_id,
        "chat.unread",
        {**counts, "conversation_id": pk, "unread": counts["conversations"].get(str(pk), 0)},
    )
    _announce_created(message, recipient_id)
    return SendResult(message, created=True)


def send_message(
    *,
    sender: AbstractBaseUser,
    conversation_id: Any,
    text: Any = "",
    client_id: Any = None,
    reply_to_id: Any = None,
    attachment: UploadedFile | None = None,
) -> SendResult:
    """Store and push a message; a retry with the same client_id returns the first one.

    A text message to an active conversation takes the fast path (`_send_text_fast`: one
    SQL statement for the seq/rev allocation, the idempotency check, the insert and the
    unread counter, then one to count the recipient's unread total, both in one round
    trip). Anything else (a
    retry, an attachment, an archived/blocked/closed or unknown conversation, a bad reply)
    falls through to the step-by-step path below, which says precisely what is wrong.
    """
    checked = check_attachment(attachment) if attachment is not None else None
    text = _clean_text(text, allow_empty=checked is not None)
    client_id = _clean_client_id(client_id)

    rate_error: ServiceError | None = None
    if checked is None and connection.vendor == "postgresql":
        try:
            check_send_rate(sender.pk)
        except ServiceError as exc:
            rate_error = exc  # a retry of a stored message is still answered below
        else:
            fast = _send_text_fast(sender.pk, conversation_id, text, client_id, reply_to_id)
            if fast is not None:
                labelled(CHAT_SENDS, "stored").inc()
                return fast
            # Not sent: not counted (the step-by-step path counts it if it sends).
            refund_send(sender.pk)

    stored_file: str | None = None
    committed: list[bool] = []
    try:
        with transaction.atomic():
            conversation = _lock_conversation(sender.pk, conversation_id)
            # Under the conversation lock, so two racing retries cannot both insert.
            existing = conversation.messages.filter(
                sender_id=sender.pk, client_id=client_id
            ).first()
            if existing is not None:
                labelled(CHAT_SENDS, "duplicate").inc()
                return SendResult(existing, created=False)
            _ensure_can_write(conversation, sender.pk)
            reply_to = None
            if reply_to_id not in (None, ""):
                try:
                    reply_to = conversation.messages.get(pk=int(reply_to_id))
                except (ExpertChatMessage.DoesNotExist, TypeError, ValueError):
                    raise ServiceError(
                        "The message replied to is not in this conversation.",
                        field="reply_to",
                        code="reply_to_not_found",
                    ) from None
            if rate_error is None:
                try:
                    check_send_rate(sender.pk)
                except ServiceError as exc:
                    rate_error = exc
            if rate_error is not None:
                labelled(CHAT_SENDS, "rate_limited").inc()
                raise rate_error

            now = timezone.now()
            conversation.last_seq += 1
            message = ExpertChatMessage(
                conversation=conversation,
                sender_id=sender.pk,
                kind=checked.kind if checked else ExpertChatMessage.Kind.TEXT,
                text=text,
                client_id=client_id,
                seq=conversation.last_seq,
                reply_to=reply_to,
                created_at=now,
            )
            _next_rev(conversation, message)
            if checked is not None:
                message.attachment_name = checked.name
                message.attachment_size = checked.size
                message.attachment_content_type = checked.content_type
                message.attachment.save(f"upload.{checked.extension}", checked.file, save=False)
                stored_file = message.attachment.name
                transaction.on_commit(lambda: committed.append(True))
            message.save()

            recipient_id = conversation.other_participant_id(sender.pk)
            _set_unread(conversation, recipient_id, conversation.unread_for(recipient_id) + 1)
            conversation.last_message_at = now
            reopened = conversation.status == Status.ARCHIVED
            if reopened:
                conversation.status = Status.ACTIVE
            conversation.save(
                update_fields=[
                    "last_seq",
                    "last_rev",
                    "last_message_at",
                    "status",
                    "user_unread",
                    "expert_unread",
                    "updated_at",
                ]
            )
            publish_to_users(conversation.participant_ids, "chat.message", message_payload(message))
            if reopened:
                _publish_state(conversation)
            _lock_unread(recipient_id)
            _publish_unread(recipient_id, conversation.pk)
            _announce_created(message, recipient_id)
        labelled(CHAT_SENDS, "stored").inc()
    except BaseException:
        # Only a rolled-back send leaves an orphan file; a committed one keeps its file.
        if stored_file and not committed:
            default_storage.delete(stored_file)
        raise
    return SendResult(message, created=True)


def _locked_own_message(
    user_id: int, message_id: Any
) -> tuple[ExpertChatConversation, ExpertChatMessage]:
    message = selectors.get_message_for(user_id, message_id)
    conversation = _lock_conversation(user_id, message.conversation_id)
    message = ExpertChatMessage.objects.select_for_update().get(pk=message.pk)
    if message.sender_id != user_id:
        raise NotAllowed("Only the sender can change this message.", code="not_message_sender")
    return conversation, message


def edit_message(*, editor: AbstractBaseUser, message_id: Any, text: Any) -> ExpertChatMessage:
    with transaction.atomic():
        conversation, message = _locked_own_message(editor.pk, message_id)
        if message.deleted_at is not None:
            raise Conflict("A deleted message cannot be edited.", code="message_deleted")
        _ensure_can_write(conversation, editor.pk)
        cleaned = _clean_text(text, allow_empty=bool(message.attachment))
        if cleaned == message.text:
            return message
        message.text = cleaned
        message.edited_at = timezone.now()
        _next_rev(conversation, message)
        message.save(update_fields=["text", "edited_at", "rev"])
        conversation.save(update_fields=["last_rev", "updated_at"])
        publish_to_users(
            conversation.participant_ids, "chat.message_edited", message_payload(message)
        )
    return message


def delete_message(*, user: AbstractBaseUser, message_id: Any) -> ExpertChatMessage:
    """Soft delete: the row stays as a tombstone so seqs stay gapless for resuming clients."""
    with transaction.atomic():
        conversation, message = _locked_own_message(user.pk, message_id)
        if message.deleted_at is not None:
            return message
        stored_file = message.attachment.name if message.attachment else None
        message.deleted_at = timezone.now()
        message.text = ""
        message.attachment = ""
        message.attachment_name = ""
        message.attachment_size = None
        message.attachment_content_type = ""
        _next_rev(conversation, message)
        message.save(
            update_fields=[
                "rev",
                "deleted_at",
                "text",
                "attachment",
                "attachment_name",
                "attachment_size",
                "attachment_content_type",
            ]
        )
        publish_to_users(
            conversation.participant_ids, "chat.message_deleted", message_payload(message)
        )
        recipient_id = conversation.other_participant_id(user.pk)
        unread_changed = message.seq > conversation.last_read_seq_for(recipient_id)
        if unread_changed:
            unread = selectors.count_unread_after(
                conversation, recipient_id, conversation.last_read_seq_for(recipient_id)
            )
            _set_unread(conversation, recipient_id, unread)
        conversation.save(update_fields=["last_rev", "user_unread", "expert_unread", "updated_at"])
        if unread_changed:
            _lock_unread(recipient_id)
            _publish_unread(recipient_id, conversation.pk)
        if stored_file:
            transaction.on_commit(lambda: default_storage.delete(stored_file), robust=True)
    return message


def mark_read(
    *,
    reader: AbstractBaseUser,
    conversation_id: Any,
    up_to_seq: Any = None,
    message_id: Any = None,
) -> ReadResult:
    """Move the reader's cursor forward (never back) to a seq, a message, or the newest."""
    with transaction.atomic():
        conversation = _lock_conversation(reader.pk, conversation_id)
        if message_id not in (None, ""):
            try:
                target = conversation.messages.values_list("seq", flat=True).get(pk=int(message_id))
            except (ExpertChatMessage.DoesNotExist, TypeError, ValueError):
                raise ServiceError(
                    "No such message in this conversation.",
                    field="message_id",
                    code="message_not_found",
                ) from None
        elif up_to_seq not in (None, ""):
            try:
                target = int(up_to_seq)
            except (TypeError, ValueError):
                target = -1
            if target < 0:
                raise ServiceError(
                    "seq must be a non-negative integer.", field="seq", code="invalid"
                )
            target = min(target, conversation.last_seq)
        else:
            target = conversation.last_seq

        current = conversation.last_read_seq_for(reader.pk)
        if target <= current:
            return ReadResult(
                conversation, current, conversation.unread_for(reader.pk), changed=False
            )

        now = timezone.now()
        conversation.messages.filter(seq__lte=target, read_at__isnull=True).exclude(
            sender_id=reader.pk
        ).update(read_at=now)
        unread = selectors.count_unread_after(conversation, reader.pk, target)
        if conversation.is_user_side(reader.pk):
            conversation.user_last_read_seq = target
        else:
            conversation.expert_last_read_seq = target
        _set_unread(conversation, reader.pk, unread)
        conversation.save(
            update_fields=[
                "user_last_read_seq",
                "expert_last_read_seq",
                "user_unread",
                "expert_unread",
                "updated_at",
            ]
        )
        publish_to_users(
            conversation.participant_ids,
            "chat.read",
            {
                "conversation_id": conversation.pk,
                "reader_id": reader.pk,
                "up_to_seq": target,
                "read_at": now.isoformat(),
            },
        )
        _lock_unread(reader.pk)
        _publish_unread(reader.pk, conversation.pk)
    return ReadResult(conversation, target, unread, changed=True)


def send_typing(*, user: AbstractBaseUser, conversation_id: Any, is_typing: bool = True) -> bool:
    """Tell the other participant; never stored. Returns False when throttled or muted."""
    conversation = selectors.get_conversation_for(user.pk, conversation_id)
    if conversation.status in (Status.BLOCKED, Status.CLOSED):
        return False
    if is_typing:
        if not typing_allowed(user.pk, conversation.pk):
            return False
    else:
        reset_typing(user.pk, conversation.pk)
    send_to_user_now(
        conversation.other_participant_id(user.pk),
        "chat.typing",
        {"conversation_id": conversation.pk, "user_id": user.pk, "is_typing": bool(is_typing)},
    )
    return True
