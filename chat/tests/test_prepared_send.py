"""The chat send's statements are prepared once per connection (project/prepared.py) and
give the same results as before: seqs, replies, unread counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.postgresql import base

from chat import services
from chat.models import ExpertChatMessage
from project.prepared import prepared_cursor

pytestmark = pytest.mark.django_db


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_sends_run_as_prepared_statements_with_the_same_results(conversation, user, expert):
    first = services.send_message(
        sender=user, conversation_id=conversation.pk, text="hi", client_id="c0"
    )
    for n in range(1, 7):
        reply = services.send_message(
            sender=user,
            conversation_id=conversation.pk,
            text=f"m{n}",
            client_id=f"c{n}",
            reply_to_id=first.message.pk,
        )
    assert reply.created and reply.message.seq == 7
    stored = ExpertChatMessage.objects.get(pk=reply.message.pk)
    assert (stored.seq, stored.rev, stored.reply_to_id) == (7, 7, first.message.pk)
    conversation.refresh_from_db()
    assert conversation.expert_unread == 7 and conversation.user_unread == 0
    counts = services._unread_counts(expert.user_id)
    assert counts == {
        "total": 7,
        "conversations": {str(conversation.pk): 7},
        "version": counts["version"],
    }
    assert isinstance(counts["version"], int)
    statements = prepared_statements()
    assert any("WITH conv AS" in s for s in statements)  # the send
    assert any("c.user_unread > 0" in s for s in statements)  # the unread count


def test_the_switch_gives_back_djangos_own_cursor(settings):
    settings.DB_PREPARED_STATEMENTS = False
    with prepared_cursor() as cursor:
        assert not isinstance(cursor.cursor, base.ServerBindingCursor)
    settings.DB_PREPARED_STATEMENTS = True
    with prepared_cursor() as cursor:
        assert isinstance(cursor.cursor, base.ServerBindingCursor)
