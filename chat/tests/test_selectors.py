"""chat/selectors.py: scoping, cursor pages, resume, unread totals, and no N+1."""

from __future__ import annotations

import pytest

from chat import selectors, services
from chat.models import ExpertChatConversation
from project.api_errors import NotFound

pytestmark = pytest.mark.django_db


def send(conversation, sender, text="hi"):
    return services.send_message(sender=sender, conversation_id=conversation.pk, text=text).message


def test_conversations_are_visible_to_both_participants_only(
    conversation, user, expert_user, third_user
):
    assert selectors.get_conversation_for(user.pk, conversation.pk) == conversation
    assert selectors.get_conversation_for(expert_user.pk, conversation.pk) == conversation
    with pytest.raises(NotFound):
        selectors.get_conversation_for(third_user.pk, conversation.pk)
    assert list(selectors.list_conversations(third_user.pk)) == []


def test_messages_are_visible_to_participants_only(conversation, user, expert_user, third_user):
    message = send(conversation, user)
    assert selectors.get_message_for(expert_user.pk, message.pk) == message
    with pytest.raises(NotFound):
        selectors.get_message_for(third_user.pk, message.pk)


def test_list_orders_by_latest_activity_and_filters_status(user, make_expert):
    a = ExpertChatConversation.objects.create(user=user, expert=make_expert())
    b = ExpertChatConversation.objects.create(user=user, expert=make_expert())
    c = ExpertChatConversation.objects.create(user=user, expert=make_expert())
    send(a, user)
    send(b, user)
    assert list(selectors.list_conversations(user.pk)) == [b, a, c]  # silent ones last
    services.archive_conversation(user=user, conversation_id=a.pk)
    assert list(selectors.list_conversations(user.pk, status="archived")) == [a]


def test_list_with_last_messages_takes_constant_queries(
    user, make_expert, django_assert_num_queries
):
    def load():
        conversations = list(selectors.list_conversations(user.pk))
        selectors.attach_last_messages(conversations)
        return [
            (c.expert.user.email, c.user.email, c.last_message and c.last_message.text)
            for c in conversations
        ]

    for i in range(2):
        send(ExpertChatConversation.objects.create(user=user, expert=make_expert()), user, f"a{i}")
    with django_assert_num_queries(2):
        load()
    for i in range(5):
        conversation = ExpertChatConversation.objects.create(user=user, expert=make_expert())
        send(conversation, user, "first")
        send(conversation, user, f"last{i}")
    with django_assert_num_queries(2):
        rows = load()
    assert rows[0][2] == "last4"


def test_message_pages_by_seq_cursor(conversation, user):
    for i in range(1, 8):
        send(conversation, user, f"m{i}")
    newest = selectors.list_messages(conversation, limit=3)
    assert [m.seq for m in newest.messages] == [5, 6, 7] and newest.has_more
    older = selectors.list_messages(conversation, before=5, limit=3)
    assert [m.seq for m in older.messages] == [2, 3, 4] and older.has_more
    oldest = selectors.list_messages(conversation, before=2, limit=3)
    assert [m.seq for m in oldest.messages] == [1] and not oldest.has_more
    forward = selectors.list_messages(conversation, after=4, limit=2)
    assert [m.seq for m in forward.messages] == [5, 6] and forward.has_more
    end = selectors.list_messages(conversation, after=6, limit=2)
    assert [m.seq for m in end.messages] == [7] and not end.has_more


def test_deleted_messages_stay_in_pages_as_tombstones(conversation, user):
    send(conversation, user, "a")
    gone = send(conversation, user, "b")
    services.delete_message(user=user, message_id=gone.pk)
    page = selectors.list_messages(conversation)
    assert [(m.seq, m.text, m.deleted_at is not None) for m in page.messages] == [
        (1, "a", False),
        (2, "", True),
    ]


def test_missed_messages_in_order_without_duplicates(user, expert_user, make_expert, third_user):
    expert_b = make_expert()
    a = ExpertChatConversation.objects.create(user=user, expert=make_expert(expert_user))
    b = ExpertChatConversation.objects.create(user=user, expert=expert_b)
    for i in range(4):
        send(a, user, f"a{i}")
        send(b, expert_b.user, f"b{i}")
    page = selectors.missed_messages(user.pk, {a.pk: 2, b.pk: 0})
    assert [(m.conversation_id, m.seq) for m in page.messages] == [
        (a.pk, 3),
        (a.pk, 4),
        (b.pk, 1),
        (b.pk, 2),
        (b.pk, 3),
        (b.pk, 4),
    ]
    assert not page.has_more
    assert selectors.missed_messages(third_user.pk, {a.pk: 0}).messages == []


def test_missed_messages_are_cut_with_has_more(conversation, user):
    for i in range(5):
        send(conversation, user, f"m{i}")
    first = selectors.missed_messages(user.pk, {conversation.pk: 0}, limit=3)
    assert [m.seq for m in first.messages] == [1, 2, 3] and first.has_more
    rest = selectors.missed_messages(user.pk, {conversation.pk: 3}, limit=3)
    assert [m.seq for m in rest.messages] == [4, 5] and not rest.has_more


def test_missed_messages_by_rev_include_edits_and_tombstones_once(user, expert_user, make_expert):
    by_rev = ExpertChatConversation.objects.create(user=user, expert=make_expert(expert_user))
    other_expert = make_expert()
    by_seq = ExpertChatConversation.objects.create(user=user, expert=other_expert)
    old = [send(by_rev, expert_user, f"old{i}") for i in range(3)]  # revs 1-3
    send(by_seq, other_expert.user, "s1")
    services.edit_message(editor=expert_user, message_id=old[0].pk, text="old0!")  # rev 4
    fresh = send(by_rev, expert_user, "new")  # rev 5
    services.delete_message(user=expert_user, message_id=old[1].pk)  # rev 6
    services.edit_message(editor=expert_user, message_id=fresh.pk, text="new!")  # rev 7
    send(by_seq, other_expert.user, "s2")
    services.edit_message(
        editor=other_expert.user,
        message_id=by_seq.messages.get(seq=1).pk,
        text="s1 edited",
    )

    page = selectors.missed_messages(
        user.pk, {by_rev.pk: selectors.ResumeCursor(seq=3, rev=3), by_seq.pk: 1}
    )
    # by_rev first (lower id), in rev order; by_seq by seq, so its edit of seq 1 is not there.
    assert [(m.conversation_id, m.seq, m.rev, m.text) for m in page.messages] == [
        (by_rev.pk, 1, 4, "old0!"),
        (by_rev.pk, 2, 6, ""),
        (by_rev.pk, 4, 7, "new!"),
        (by_seq.pk, 2, 2, "s2"),
    ]
    assert not page.has_more
    by_rev.refresh_from_db()
    assert (by_rev.last_seq, by_rev.last_rev) == (4, 7)
    # A plain int and a seq-only cursor object mean the same thing.
    assert selectors.missed_messages(user.pk, {by_seq.pk: 1}).messages == (
        selectors.missed_messages(user.pk, {by_seq.pk: selectors.ResumeCursor(seq=1)}).messages
    )


def test_message_page_after_rev(conversation, user):
    first = send(conversation, user, "a")
    send(conversation, user, "b")
    services.edit_message(editor=user, message_id=first.pk, text="a!")
    page = selectors.list_messages(conversation, after_rev=1)
    assert [(m.seq, m.rev) for m in page.messages] == [(2, 2), (1, 3)] and not page.has_more
    cut = selectors.list_messages(conversation, after_rev=0, limit=1)
    assert [m.rev for m in cut.messages] == [2] and cut.has_more


def test_unread_counts_and_cursors_per_side(user, expert_user, make_expert):
    a = ExpertChatConversation.objects.create(user=user, expert=make_expert(expert_user))
    other_expert = make_expert()
    b = ExpertChatConversation.objects.create(user=user, expert=other_expert)
    send(a, expert_user)
    send(a, expert_user)
    send(b, other_expert.user)
    send(a, user)
    assert selectors.unread_counts(user.pk) == {
        "total": 3,
        "conversations": {str(a.pk): 2, str(b.pk): 1},
    }
    assert selectors.unread_counts(expert_user.pk) == {
        "total": 1,
        "conversations": {str(a.pk): 1},
    }
    services.mark_read(reader=user, conversation_id=b.pk)
    assert selectors.unread_counts(user.pk)["conversations"] == {str(a.pk): 2}
    cursors = {c["conversation_id"]: c for c in selectors.conversation_cursors(user.pk)}
    assert cursors[a.pk]["last_seq"] == 3 and cursors[a.pk]["unread"] == 2
    assert cursors[b.pk]["unread"] == 0


def test_cursors_carry_how_far_the_other_side_read(user, expert_user, make_expert):
    conv = ExpertChatConversation.objects.create(user=user, expert=make_expert(expert_user))
    send(conv, user)
    send(conv, user)
    send(conv, user)
    services.mark_read(reader=expert_user, conversation_id=conv.pk, up_to_seq=2)
    mine = {c["conversation_id"]: c for c in selectors.conversation_cursors(user.pk)}
    theirs = {c["conversation_id"]: c for c in selectors.conversation_cursors(expert_user.pk)}
    # The sender learns on resume that the expert read up to 2, even if the chat.read
    # event went out while the sender's socket was down.
    assert mine[conv.pk]["other_last_read_seq"] == 2
    assert theirs[conv.pk]["other_last_read_seq"] == 0
