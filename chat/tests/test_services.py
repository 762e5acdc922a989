"""chat/services.py: every write, its rules and what it leaves behind when it refuses."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from chat import selectors, services
from chat.models import ExpertChatConversation, ExpertChatMessage
from chat.signals import chat_message_created
from chat.tests.conftest import PDF_BYTES, PNG_BYTES
from consultations.models import Consultation, Expert
from project.api_errors import Conflict, NotAllowed, NotFound, ServiceError

pytestmark = pytest.mark.django_db

Status = ExpertChatConversation.Status


def send(conversation, sender, text="hello", **kwargs):
    return services.send_message(
        sender=sender, conversation_id=conversation.pk, text=text, **kwargs
    )


def state(conversation):
    conversation.refresh_from_db()
    return (
        conversation.last_seq,
        conversation.user_unread,
        conversation.expert_unread,
        ExpertChatMessage.objects.filter(conversation=conversation).count(),
    )


# --- get_or_create_conversation ------------------------------------------------------


def test_get_or_create_makes_one_conversation_per_pair(user, expert):
    first, created = services.get_or_create_conversation(user=user, expert_id=expert.pk)
    again, created_again = services.get_or_create_conversation(user=user, expert_id=expert.pk)
    assert created and not created_again
    assert first.pk == again.pk
    assert first.status == Status.ACTIVE
    assert ExpertChatConversation.objects.count() == 1


@pytest.mark.parametrize(
    "status", [Expert.VerificationStatus.PENDING, Expert.VerificationStatus.SUSPENDED]
)
def test_only_approved_experts_can_be_contacted(user, make_expert, status):
    pending = make_expert(status=status)
    with pytest.raises(NotFound) as exc:
        services.get_or_create_conversation(user=user, expert_id=pending.pk)
    assert exc.value.field == "expert_id"
    with pytest.raises(NotFound):
        services.get_or_create_conversation(user=user, expert_id=999999)
    assert not ExpertChatConversation.objects.exists()


def test_expert_cannot_chat_with_himself(expert_user, expert):
    with pytest.raises(ServiceError) as exc:
        services.get_or_create_conversation(user=expert_user, expert_id=expert.pk)
    assert exc.value.code == "cannot_chat_with_self"
    assert not ExpertChatConversation.objects.exists()


def test_consultation_link_must_be_the_users_own_with_that_expert(user, other_user, expert):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() + timedelta(days=2)
    theirs = Consultation.objects.create(
        user=other_user,
        expert=expert,
        start_at=start,
        end_at=start + timedelta(hours=1),
        blocked_start=start,
        blocked_end=start + timedelta(hours=1),
        topic="Taxes",
    )
    with pytest.raises(ServiceError) as exc:
        services.get_or_create_conversation(
            user=user, expert_id=expert.pk, consultation_id=theirs.pk
        )
    assert exc.value.field == "consultation_id"
    assert not ExpertChatConversation.objects.exists()
    conversation, _ = services.get_or_create_conversation(
        user=other_user, expert_id=expert.pk, consultation_id=theirs.pk
    )
    assert conversation.consultation_id == theirs.pk


# --- send_message --------------------------------------------------------------------


def test_send_allocates_consecutive_seqs_and_counts_unread(conversation, user, expert_user):
    m1 = send(conversation, user, "one").message
    m2 = send(conversation, user, "two").message
    m3 = send(conversation, expert_user, "three").message
    assert [m1.seq, m2.seq, m3.seq] == [1, 2, 3]
    conversation.refresh_from_db()
    assert conversation.last_seq == 3
    assert conversation.expert_unread == 2  # the user's two messages
    assert conversation.user_unread == 1
    assert conversation.last_message_at == m3.created_at
    assert m1.kind == "text" and m1.text == "one" and m1.sender_id == user.pk


def test_text_is_trimmed(conversation, user):
    assert send(conversation, user, "  hi there \n").message.text == "hi there"


def test_retry_with_same_client_id_returns_the_stored_message(conversation, user, expert_user):
    first = send(conversation, user, "hello", client_id="c-1")
    retry = send(conversation, user, "hello", client_id="c-1")
    assert first.created and not retry.created
    assert retry.message.pk == first.message.pk
    assert state(conversation) == (1, 0, 1, 1)  # unread not counted twice
    # The id is scoped to the sender: the other side may reuse the same string.
    theirs = send(conversation, expert_user, "hi", client_id="c-1")
    assert theirs.created and theirs.message.seq == 2


def test_retry_of_a_message_sent_before_a_block_still_returns_it(conversation, user, expert_user):
    first = send(conversation, user, client_id="c-9")
    services.block_conversation(user=expert_user, conversation_id=conversation.pk)
    assert send(conversation, user, client_id="c-9").message.pk == first.message.pk


def test_signal_is_sent_after_commit_with_the_recipient(
    conversation, user, expert_user, django_capture_on_commit_callbacks
):
    heard = []

    def receiver(sender, message, recipient_ids, **kwargs):
        heard.append((message.pk, recipient_ids))

    chat_message_created.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message = send(conversation, user).message
        assert heard == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        chat_message_created.disconnect(receiver)
    assert heard == [(message.pk, [expert_user.pk])]


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"text": ""}, "text", "message_empty"),
        ({"text": "   \n "}, "text", "message_empty"),
        ({"text": "x" * (settings.CHAT_MESSAGE_MAX_LENGTH + 1)}, "text", "text_too_long"),
        ({"client_id": "x" * 65}, "client_id", "invalid_client_id"),
        ({"reply_to_id": 987654}, "reply_to", "reply_to_not_found"),
        ({"text": "nul \x00 byte"}, "text", "invalid"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(conversation, user, kwargs, field, code):
    kwargs = {"text": "ok", **kwargs}
    with pytest.raises(ServiceError) as exc:
        services.send_message(sender=user, conversation_id=conversation.pk, **kwargs)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert state(conversation) == (0, 0, 0, 0)


def test_max_length_text_is_accepted(conversation, user):
    text = "y" * settings.CHAT_MESSAGE_MAX_LENGTH
    assert send(conversation, user, text).message.text == text


def test_reply_to_must_be_in_the_same_conversation(conversation, user, make_expert, expert_user):
    elsewhere = ExpertChatConversation.objects.create(user=user, expert=make_expert())
    foreign = send(elsewhere, user).message
    with pytest.raises(ServiceError) as exc:
        send(conversation, user, reply_to_id=foreign.pk)
    assert exc.value.field == "reply_to"
    original = send(conversation, expert_user, "question?").message
    reply = send(conversation, user, "answer", reply_to_id=original.pk).message
    assert reply.reply_to_id == original.pk


def test_non_participant_and_unknown_conversation_are_not_found(conversation, third_user):
    for conversation_id in (conversation.pk, 999999, "abc"):
        with pytest.raises(NotFound) as exc:
            services.send_message(sender=third_user, conversation_id=conversation_id, text="hi")
        assert exc.value.code == "conversation_not_found"
    assert state(conversation) == (0, 0, 0, 0)


def test_blocked_conversation_refuses_both_sides_with_distinct_codes(
    conversation, user, expert_user
):
    services.block_conversation(user=expert_user, conversation_id=conversation.pk)
    with pytest.raises(NotAllowed) as blocked:
        send(conversation, user)
    assert blocked.value.code == "conversation_blocked"
    with pytest.raises(NotAllowed) as blocker:
        send(conversation, expert_user)
    assert blocker.value.code == "conversation_blocked_by_you"
    assert state(conversation) == (0, 0, 0, 0)

    services.unblock_conversation(user=expert_user, conversation_id=conversation.pk)
    assert send(conversation, user).created


def test_closed_conversation_refuses_messages(conversation, user):
    ExpertChatConversation.objects.filter(pk=conversation.pk).update(status=Status.CLOSED)
    with pytest.raises(NotAllowed) as exc:
        send(conversation, user)
    assert exc.value.code == "conversation_closed"


def test_archived_conversation_reopens_on_new_message(conversation, user, expert_user):
    services.archive_conversation(user=user, conversation_id=conversation.pk)
    conversation.refresh_from_db()
    assert conversation.status == Status.ARCHIVED
    send(conversation, expert_user)
    conversation.refresh_from_db()
    assert conversation.status == Status.ACTIVE


def test_rate_limit_refuses_and_writes_nothing(conversation, user, expert_user, settings):
    settings.CHAT_RATE_LIMIT_PER_MINUTE = 3
    for i in range(3):
        send(conversation, user, f"m{i}")
    with pytest.raises(ServiceError) as exc:
        send(conversation, user, "flood")
    assert (exc.value.code, exc.value.status_code) == ("rate_limited", 429)
    assert state(conversation) == (3, 0, 3, 3)
    # A retried send of a stored message is not a new message and is not refused.
    stored = ExpertChatMessage.objects.get(seq=1)
    assert not send(conversation, user, "m0", client_id=stored.client_id).created
    assert send(conversation, expert_user, "others are not limited").created


# --- attachments ---------------------------------------------------------------------


def test_image_attachment_is_stored_under_a_random_name(conversation, user):
    upload = SimpleUploadedFile("holiday photo.png", PNG_BYTES, content_type="image/png")
    message = send(conversation, user, "", attachment=upload).message
    assert message.kind == "image"
    assert message.attachment_name == "holiday photo.png"
    assert message.attachment_size == len(PNG_BYTES)
    assert message.attachment_content_type == "image/png"
    assert "holiday" not in message.attachment.name
    assert message.attachment.name.startswith(f"chat/{conversation.pk}/")
    with message.attachment.open("rb") as stored:
        assert stored.read() == PNG_BYTES


def test_pdf_attachment_is_a_file_message_with_caption(conversation, user):
    upload = SimpleUploadedFile("cv.pdf", PDF_BYTES, content_type="application/pdf")
    message = send(conversation, user, "my CV", attachment=upload).message
    assert (message.kind, message.text) == ("file", "my CV")


def test_refused_attachment_leaves_no_row_and_no_file(conversation, user, settings):
    upload = SimpleUploadedFile("evil.png", b"<svg onload=alert(1)>", content_type="image/png")
    with pytest.raises(ServiceError) as exc:
        send(conversation, user, "", attachment=upload)
    assert exc.value.code == "attachment_type_not_allowed"
    assert state(conversation) == (0, 0, 0, 0)
    assert not (settings.MEDIA_ROOT / "chat" / str(conversation.pk)).exists()


def test_attachment_of_a_refused_send_is_removed(conversation, user, expert_user, settings):
    services.block_conversation(user=expert_user, conversation_id=conversation.pk)
    upload = SimpleUploadedFile("a.png", PNG_BYTES)
    with pytest.raises(NotAllowed):
        send(conversation, user, "", attachment=upload)
    folder = settings.MEDIA_ROOT / "chat" / str(conversation.pk)
    assert not folder.exists() or not any(folder.iterdir())


# --- mark_read -----------------------------------------------------------------------


def test_mark_read_moves_the_cursor_and_unread_count(conversation, user, expert_user):
    messages = [send(conversation, user, f"m{i}").message for i in range(3)]
    own = send(conversation, expert_user, "mine").message
    result = services.mark_read(
        reader=expert_user, conversation_id=conversation.pk, up_to_seq=messages[1].seq
    )
    assert (result.up_to_seq, result.unread, result.changed) == (2, 1, True)
    conversation.refresh_from_db()
    assert (conversation.expert_last_read_seq, conversation.expert_unread) == (2, 1)
    read_flags = dict(ExpertChatMessage.objects.values_list("seq", "read_at"))
    assert read_flags[1] and read_flags[2] and not read_flags[3]
    assert not read_flags[own.seq]  # own messages are not "read by the recipient"

    # Never backwards, and a repeat changes nothing.
    again = services.mark_read(reader=expert_user, conversation_id=conversation.pk, up_to_seq=1)
    assert (again.up_to_seq, again.changed) == (2, False)

    everything = services.mark_read(reader=expert_user, conversation_id=conversation.pk)
    assert (everything.up_to_seq, everything.unread) == (4, 0)


def test_mark_read_by_message_id_and_clamped_seq(conversation, user, expert_user):
    first = send(conversation, user).message
    send(conversation, user)
    by_id = services.mark_read(
        reader=expert_user, conversation_id=conversation.pk, message_id=first.pk
    )
    assert (by_id.up_to_seq, by_id.unread) == (1, 1)
    clamped = services.mark_read(reader=expert_user, conversation_id=conversation.pk, up_to_seq=99)
    assert clamped.up_to_seq == 2


def test_mark_read_refusals(conversation, make_expert, user, third_user):
    other_conversation = ExpertChatConversation.objects.create(user=user, expert=make_expert())
    foreign = send(other_conversation, user).message
    with pytest.raises(ServiceError) as exc:
        services.mark_read(reader=user, conversation_id=conversation.pk, message_id=foreign.pk)
    assert exc.value.field == "message_id"
    with pytest.raises(ServiceError) as exc:
        services.mark_read(reader=user, conversation_id=conversation.pk, up_to_seq=-1)
    assert exc.value.field == "seq"
    with pytest.raises(NotFound):
        services.mark_read(reader=third_user, conversation_id=conversation.pk)


# --- edit / delete -------------------------------------------------------------------


def test_sender_edits_own_message(conversation, user, expert_user):
    message = send(conversation, user, "helo").message
    edited = services.edit_message(editor=user, message_id=message.pk, text="hello")
    assert edited.text == "hello" and edited.edited_at is not None
    with pytest.raises(NotAllowed) as exc:
        services.edit_message(editor=expert_user, message_id=message.pk, text="mine now")
    assert exc.value.code == "not_message_sender"
    with pytest.raises(ServiceError) as exc:
        services.edit_message(editor=user, message_id=message.pk, text="  ")
    assert exc.value.code == "message_empty"
    message.refresh_from_db()
    assert message.text == "hello"


def test_third_user_cannot_see_edit_or_delete(conversation, user, third_user):
    message = send(conversation, user).message
    with pytest.raises(NotFound):
        services.edit_message(editor=third_user, message_id=message.pk, text="x")
    with pytest.raises(NotFound):
        services.delete_message(user=third_user, message_id=message.pk)
    message.refresh_from_db()
    assert message.text == "hello" and message.deleted_at is None


def test_delete_leaves_a_tombstone_and_fixes_unread(conversation, user, expert_user):
    keep = send(conversation, user, "keep").message
    gone = send(conversation, user, "secret").message
    with pytest.raises(NotAllowed):
        services.delete_message(user=expert_user, message_id=gone.pk)
    services.delete_message(user=user, message_id=gone.pk)
    gone.refresh_from_db()
    assert gone.deleted_at is not None and gone.text == "" and gone.seq == 2
    conversation.refresh_from_db()
    assert conversation.expert_unread == 1 and conversation.last_seq == 2
    with pytest.raises(Conflict):
        services.edit_message(editor=user, message_id=gone.pk, text="back")
    # Deleting twice is harmless.
    services.delete_message(user=user, message_id=gone.pk)
    assert ExpertChatMessage.objects.filter(pk=keep.pk, deleted_at__isnull=True).exists()


def test_every_send_edit_and_delete_takes_the_next_rev(conversation, user, expert_user):
    first = send(conversation, user, "a").message
    reply = send(conversation, expert_user, "b").message
    assert (first.rev, reply.rev) == (1, 2)
    edited = services.edit_message(editor=user, message_id=first.pk, text="a!")
    assert edited.rev == 3 and edited.seq == 1
    unchanged = services.edit_message(editor=user, message_id=first.pk, text="a!")
    assert unchanged.rev == 3  # nothing changed, nothing for clients to fetch
    deleted = services.delete_message(user=expert_user, message_id=reply.pk)
    assert deleted.rev == 4
    assert services.delete_message(user=expert_user, message_id=reply.pk).rev == 4
    retry = send(conversation, user, "c", client_id="k")
    assert send(conversation, user, "c", client_id="k").message.rev == retry.message.rev == 5
    conversation.refresh_from_db()
    assert (conversation.last_seq, conversation.last_rev) == (3, 5)
    assert dict(ExpertChatMessage.objects.values_list("seq", "rev")) == {1: 3, 2: 4, 3: 5}


def test_refused_edit_and_delete_take_no_rev(conversation, user, expert_user):
    message = send(conversation, user, "a").message
    with pytest.raises(NotAllowed):
        services.edit_message(editor=expert_user, message_id=message.pk, text="b")
    with pytest.raises(NotAllowed):
        services.delete_message(user=expert_user, message_id=message.pk)
    with pytest.raises(ServiceError):
        services.edit_message(editor=user, message_id=message.pk, text=" ")
    conversation.refresh_from_db()
    message.refresh_from_db()
    assert conversation.last_rev == message.rev == 1


def test_delete_removes_the_attachment_file(conversation, user, django_capture_on_commit_callbacks):
    message = send(conversation, user, "", attachment=SimpleUploadedFile("a.png", PNG_BYTES))
    path = message.message.attachment.path
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_message(user=user, message_id=message.message.pk)
    message.message.refresh_from_db()
    assert not message.message.attachment and message.message.attachment_name == ""
    import os

    assert not os.path.exists(path)


# --- archive / block -----------------------------------------------------------------


def test_only_the_blocker_can_unblock(conversation, user, expert_user):
    services.block_conversation(user=user, conversation_id=conversation.pk)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.blocked_by_id) == (Status.BLOCKED, user.pk)
    with pytest.raises(NotAllowed):
        services.unblock_conversation(user=expert_user, conversation_id=conversation.pk)
    with pytest.raises(Conflict):
        services.block_conversation(user=expert_user, conversation_id=conversation.pk)
    with pytest.raises(Conflict):
        services.archive_conversation(user=user, conversation_id=conversation.pk)
    services.unblock_conversation(user=user, conversation_id=conversation.pk)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.blocked_by_id) == (Status.ACTIVE, None)


def test_archive_and_restore(conversation, user, third_user):
    services.archive_conversation(user=user, conversation_id=conversation.pk)
    services.archive_conversation(user=user, conversation_id=conversation.pk)  # idempotent
    conversation.refresh_from_db()
    assert conversation.status == Status.ARCHIVED
    services.archive_conversation(user=user, conversation_id=conversation.pk, archived=False)
    conversation.refresh_from_db()
    assert conversation.status == Status.ACTIVE
    with pytest.raises(NotFound):
        services.archive_conversation(user=third_user, conversation_id=conversation.pk)


# --- typing --------------------------------------------------------------------------


def test_typing_is_throttled_and_never_stored(conversation, user, expert_user, monkeypatch):
    sent = []
    monkeypatch.setattr(
        services, "send_to_user_now", lambda uid, kind, data: sent.append((uid, kind, data))
    )
    assert services.send_typing(user=user, conversation_id=conversation.pk)
    assert not services.send_typing(user=user, conversation_id=conversation.pk)
    assert services.send_typing(user=user, conversation_id=conversation.pk, is_typing=False)
    assert services.send_typing(user=user, conversation_id=conversation.pk)  # reset by "stopped"
    assert [s[0] for s in sent] == [expert_user.pk] * 3
    assert sent[0][2] == {"conversation_id": conversation.pk, "user_id": user.pk, "is_typing": True}
    assert state(conversation) == (0, 0, 0, 0)


def test_typing_in_blocked_conversation_is_dropped(conversation, user, expert_user, monkeypatch):
    sent = []
    monkeypatch.setattr(services, "send_to_user_now", lambda *a: sent.append(a))
    services.block_conversation(user=expert_user, conversation_id=conversation.pk)
    assert not services.send_typing(user=user, conversation_id=conversation.pk)
    assert sent == []


# --- concurrency ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_get_gapless_unique_seqs_and_retries_stay_single(
    conversation, user, expert_user
):
    errors: list[BaseException] = []

    def worker(sender, n: int) -> None:
        try:
            for i in range(5):
                send(conversation, sender, f"{n}-{i}", client_id=f"{n}-{i}")
                # A retry racing with other writers must not add a row.
                send(conversation, sender, f"{n}-{i}", client_id=f"{n}-{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(user if n % 2 else expert_user, n)) for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(
        ExpertChatMessage.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 21))
    conversation.refresh_from_db()
    assert conversation.last_seq == 20
    assert conversation.user_unread == 10 and conversation.expert_unread == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_deletes_and_sends_get_distinct_gapless_revs(
    conversation, user, expert_user
):
    mine = [send(conversation, user, f"u{i}", client_id=f"u{i}").message for i in range(4)]
    theirs = [send(conversation, expert_user, f"e{i}", client_id=f"e{i}").message for i in range(4)]
    revs: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def record(rev: int) -> None:
        with lock:
            revs.append(rev)

    def worker(sender, own, n: int) -> None:
        try:
            for i, message in enumerate(own):
                record(send(conversation, sender, f"n{n}-{i}", client_id=f"n{n}-{i}").message.rev)
                edited = services.edit_message(editor=sender, message_id=message.pk, text=f"{i}!")
                record(edited.rev)
                if i % 2:
                    record(services.delete_message(user=sender, message_id=message.pk).rev)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(user, mine[:2], 0)),
        threading.Thread(target=worker, args=(user, mine[2:], 1)),
        threading.Thread(target=worker, args=(expert_user, theirs[:2], 2)),
        threading.Thread(target=worker, args=(expert_user, theirs[2:], 3)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # 8 sends before, then per thread 2 sends + 2 edits + 1 delete: revs 9..28, each once.
    assert sorted(revs) == list(range(9, 29))
    conversation.refresh_from_db()
    assert (conversation.last_seq, conversation.last_rev) == (16, 28)
    stored = list(
        ExpertChatMessage.objects.filter(conversation=conversation).values_list("rev", flat=True)
    )
    assert len(set(stored)) == len(stored) == 16 and set(stored) <= set(range(1, 29))
    # What a client that stopped at rev 8 gets back is each changed row once, at its newest rev.
    resumed = selectors.missed_messages(
        user.pk, {conversation.pk: selectors.ResumeCursor(seq=8, rev=8)}
    ).messages
    assert [m.rev for m in resumed] == sorted(stored)
    assert {m.pk for m in mine + theirs} <= {m.pk for m in resumed}


def test_a_failing_signal_receiver_does_not_fail_the_send(
    conversation, user, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("mail server down")

    chat_message_created.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = send(conversation, user, "still delivered")
    finally:
        chat_message_created.disconnect(broken)
    assert result.created
    assert ExpertChatMessage.objects.filter(pk=result.message.pk).exists()


# --- the send hot path ---------------------------------------------------------------


def _statements(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    ]


def test_plain_send_is_one_write_statement_and_one_count(conversation, user, expert_user):
    from django.test.utils import CaptureQueriesContext

    send(conversation, user, "warm-up")
    with CaptureQueriesContext(connection) as captured:
        result = send(conversation, user, "hello again", client_id="c-2")
    statements = _statements(captured)
    # seq/rev allocation, idempotency, insert, unread counter and the recipient's unread
    # lock in one statement; the recipient's unread total in a second.
    assert len(statements) == 2, statements
    assert "INSERT INTO" in statements[0] and "UPDATE" in statements[0]
    assert result.created and (result.message.seq, result.message.rev) == (2, 2)
    stored = ExpertChatMessage.objects.get(pk=result.message.pk)
    assert (stored.text, stored.client_id, stored.sender_id) == ("hello again", "c-2", user.pk)
    assert state(conversation) == (2, 0, 2, 2)


@pytest.mark.django_db(transaction=True)
def test_plain_send_goes_out_in_one_pipeline_and_commits(conversation, user, expert_user):
    # The send and the unread count are queued in psycopg's pipeline and sent together
    # with one Sync: one round trip, one implicit transaction. Outside a caller's
    # transaction the send leaves the connection committed and idle.
    from psycopg import pq

    seen: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):
        raw = context["connection"].connection
        seen.append((sql.split()[0], raw.pgconn.pipeline_status != pq.PipelineStatus.OFF))
        return execute(sql, params, many, context)

    send(conversation, user, "warm-up")
    with connection.execute_wrapper(record):
        result = send(conversation, user, "hello", client_id="c-2")
    assert seen == [("WITH", True), ("WITH", True)]  # the send, then the count
    assert not connection.in_atomic_block
    assert connection.connection.info.transaction_status == pq.TransactionStatus.IDLE
    assert result.created and result.message.seq == 2
    assert state(conversation) == (2, 0, 2, 2)


@pytest.mark.django_db(transaction=True)
def test_a_retry_that_loses_the_race_in_the_pipeline_leaves_a_clean_connection(
    conversation, user, expert_user, monkeypatch
):
    # The send's idempotency check passes (no stored client_id in its snapshot) but the
    # insert hits the unique constraint, as when a concurrent retry commits first: the
    # pipelined transaction is rolled back, the careful path answers with the stored message.
    first = send(conversation, user, "once", client_id="same").message
    monkeypatch.setattr(
        services,
        "_FAST_SEND_SQL",
        services._FAST_SEND_SQL.replace("AND d.client_id = %(client_id)s", "AND false"),
    )
    again = send(conversation, user, "once", client_id="same")
    from psycopg import pq

    assert connection.connection.info.transaction_status == pq.TransactionStatus.IDLE
    assert not again.created and again.message.pk == first.pk
    assert state(conversation) == (1, 0, 1, 1)  # nothing allocated, nothing counted
    assert send(conversation, user, "next", client_id="next").message.seq == 2


@pytest.mark.django_db(transaction=True)
def test_the_pipelined_send_and_count_commit_together_or_not_at_all(
    conversation, user, expert_user, monkeypatch
):
    # No BEGIN/COMMIT: the pipeline's implicit transaction. When the count fails after the
    # send's statement ran, the send is rolled back with it: no message, no seq, no unread.
    from django.db import DataError
    from psycopg import pq

    send(conversation, user, "first", client_id="c-1")
    monkeypatch.setattr(services, "_UNREAD_AFTER_SEND_SQL", "SELECT 1 / 0")
    with pytest.raises(DataError):
        send(conversation, user, "lost", client_id="c-2")
    assert connection.connection.info.transaction_status == pq.TransactionStatus.IDLE
    assert state(conversation) == (1, 0, 1, 1)
    monkeypatch.undo()
    assert send(conversation, user, "next", client_id="c-2").message.seq == 2


def test_inside_a_callers_transaction_the_send_uses_a_savepoint(
    conversation, user, expert_user, monkeypatch
):
    from django.db import transaction

    first = send(conversation, user, "once", client_id="same").message
    with transaction.atomic():
        monkeypatch.setattr(
            services,
            "_FAST_SEND_SQL",
            services._FAST_SEND_SQL.replace("AND d.client_id = %(client_id)s", "AND false"),
        )
        again = send(conversation, user, "once", client_id="same")
        assert not again.created and again.message.pk == first.pk
        monkeypatch.undo()
        later = send(conversation, user, "later", client_id="later")
        assert connection.in_atomic_block  # the caller's transaction goes on
    assert later.created and later.message.seq == 2
    assert state(conversation) == (2, 0, 2, 2)


def test_send_publishes_the_message_once_and_the_unread_counted_in_the_transaction(
    conversation, user, expert_user, expert, make_user, monkeypatch
):
    published: list[tuple[list[int], str, dict]] = []
    monkeypatch.setattr(
        services, "publish_to_users", lambda ids, t, d: published.append((sorted(ids), t, d))
    )
    monkeypatch.setattr(services, "publish_to_user", lambda i, t, d: published.append(([i], t, d)))
    other_client = make_user()
    second = ExpertChatConversation.objects.create(user=other_client, expert=expert)
    send(conversation, user, "one")
    send(second, other_client, "two")
    assert [(ids, t) for ids, t, _ in published] == [
        (sorted([user.pk, expert_user.pk]), "chat.message"),
        ([expert_user.pk], "chat.unread"),
        (sorted([other_client.pk, expert_user.pk]), "chat.message"),
        ([expert_user.pk], "chat.unread"),
    ]
    last = published[-1][2]
    assert last["total"] == 2
    assert last["conversations"] == {str(conversation.pk): 1, str(second.pk): 1}
    assert (last["conversation_id"], last["unread"]) == (second.pk, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_to_one_recipient_push_every_total_in_commit_order(
    expert, expert_user, make_user, monkeypatch
):
    # Two clients write to the same expert at once in two conversations. Each send counts
    # the expert's total inside its transaction under the per-user unread lock, so every
    # send counts all those committed before it: the pushed totals are 1, 2, ... 30, none
    # repeated or skipped. They are recorded after each commit, so two threads may record
    # theirs in either order; their versions, taken under the lock, put them back in commit
    # order, which is what a client keeping the highest version shows.
    totals: list[int] = []
    versioned: list[tuple[int, int]] = []
    lock = threading.Lock()

    def record(user_id, event_type, data):
        if event_type == "chat.unread" and user_id == expert_user.pk:
            with lock:
                totals.append(data["total"])
                versioned.append((data["version"], data["total"]))

    monkeypatch.setattr(services, "publish_to_user", record)
    clients = [make_user(), make_user()]
    conversations = [ExpertChatConversation.objects.create(user=c, expert=expert) for c in clients]
    errors: list[BaseException] = []

    def worker(client, conversation) -> None:
        try:
            for i in range(15):
                send(conversation, client, f"m{i}", client_id=f"{client.pk}-{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=pair)
        for pair in zip(clients, conversations, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(totals) == list(range(1, 31))
    assert [total for _version, total in sorted(versioned)] == list(range(1, 31))
    assert len({version for version, _total in versioned}) == 30
    assert selectors.unread_counts(expert_user.pk)["total"] == 30


@pytest.mark.django_db(transaction=True)
def test_racing_retries_of_one_client_id_store_one_message_and_skip_no_seq(
    conversation, user, expert_user
):
    results: list[services.SendResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(send(conversation, user, "once", client_id="same"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.created for r in results) == 1
    assert len({r.message.pk for r in results}) == 1
    after = send(conversation, user, "next", client_id="next").message
    assert after.seq == 2 and after.rev == 2  # the losers allocated nothing
    assert state(conversation) == (2, 0, 2, 2)


def test_fast_path_refusals_fall_back_to_precise_errors(conversation, user, expert_user):
    first = send(conversation, user, "first").message
    other = ExpertChatConversation.objects.create(
        user=expert_user, expert=Expert.objects.create(user=user, name="U")
    )
    foreign = send(other, expert_user, "elsewhere").message
    with pytest.raises(ServiceError) as exc:
        send(conversation, user, "reply", reply_to_id=foreign.pk)
    assert exc.value.field == "reply_to"
    assert send(conversation, user, "reply", reply_to_id=first.pk).message.reply_to_id == first.pk
    services.block_conversation(user=expert_user, conversation_id=conversation.pk)
    with pytest.raises(NotAllowed):
        send(conversation, user, "blocked")
    assert state(conversation)[0] == 2


def test_the_send_path_unread_count_matches_the_selector(
    conversation, user, expert_user, expert, make_user
):
    other = ExpertChatConversation.objects.create(user=make_user(), expert=expert)
    send(conversation, user, "a")
    send(conversation, user, "b")
    send(other, other.user, "c")
    send(conversation, expert_user, "to the client")
    versions = []
    for who in (user, expert_user, other.user):
        counts = services._unread_counts(who.pk)
        versions.append(counts.pop("version"))
        assert counts == selectors.unread_counts(who.pk)
    assert versions == sorted(set(versions))  # each count numbered anew, later ones higher
    assert services._unread_counts(expert_user.pk)["total"] == 3
