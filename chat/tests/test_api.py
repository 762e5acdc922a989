"""The REST API under /api/v1/consultations/chat/: shapes, permissions and refusals."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import ExpertChatConversation, ExpertChatMessage
from chat.tests.conftest import PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db

BASE = "/api/v1/consultations/chat/"


def nothing_written(conversation) -> bool:
    conversation.refresh_from_db()
    return (
        conversation.last_seq == 0
        and conversation.user_unread == 0
        and conversation.expert_unread == 0
        and not ExpertChatMessage.objects.filter(conversation=conversation).exists()
    )


def test_requires_authentication(api_client, conversation):
    assert api_client.get(f"{BASE}list/").status_code in (401, 403)
    assert api_client.post(f"{BASE}{conversation.pk}/send/", {"text": "x"}).status_code in (
        401,
        403,
    )


def test_post_gets_or_creates_and_get_finds(client_for, user, expert, third_user):
    client = client_for(user)
    created = client.post(BASE, {"expert_id": expert.pk}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["expert"]["id"] == expert.pk and body["user"]["id"] == user.pk
    assert body["status"] == "active" and body["unread_count"] == 0 and body["last_message"] is None
    assert body["other_participant"]["id"] == expert.user_id
    again = client.post(BASE, {"expert_id": expert.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    found = client.get(BASE, {"expert_id": expert.pk})
    assert found.status_code == 200 and found.json()["id"] == body["id"]
    assert client_for(third_user).get(BASE, {"expert_id": expert.pk}).status_code == 404


def test_get_or_create_refusals_name_the_field(client_for, user, expert_user, expert, make_expert):
    client = client_for(user)
    missing = client.post(BASE, {}, format="json")
    assert missing.status_code == 400 and "expert_id" in missing.json()["error"]["fields"]
    pending = make_expert(status="pending")
    unknown = client.post(BASE, {"expert_id": pending.pk}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "expert_not_found"
    own = client_for(expert_user).post(BASE, {"expert_id": expert.pk}, format="json")
    assert own.status_code == 400
    assert own.json()["error"]["code"] == "cannot_chat_with_self"
    assert "expert_id" in own.json()
    assert not ExpertChatConversation.objects.exists()


def test_list_shows_last_message_and_the_viewers_unread(
    client_for, conversation, user, expert_user, third_user
):
    services.send_message(sender=user, conversation_id=conversation.pk, text="first")
    services.send_message(sender=user, conversation_id=conversation.pk, text="second")
    mine = client_for(user).get(f"{BASE}list/").json()
    theirs = client_for(expert_user).get(f"{BASE}list/").json()
    assert mine["count"] == 1 and theirs["count"] == 1
    assert mine["results"][0]["last_message"]["text"] == "second"
    assert mine["results"][0]["unread_count"] == 0
    assert theirs["results"][0]["unread_count"] == 2
    assert theirs["results"][0]["other_participant"]["id"] == user.pk
    assert client_for(third_user).get(f"{BASE}list/").json()["count"] == 0
    bad = client_for(user).get(f"{BASE}list/", {"status": "nope"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_list_query_count_does_not_grow_with_conversations(client_for, user, make_expert):
    client = client_for(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{BASE}list/").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        c = ExpertChatConversation.objects.create(user=user, expert=make_expert())
        services.send_message(sender=user, conversation_id=c.pk, text="x")
    few = queries()
    for _ in range(6):
        c = ExpertChatConversation.objects.create(user=user, expert=make_expert())
        services.send_message(sender=user, conversation_id=c.pk, text="x")
    assert queries() == few


def test_messages_cursor_pagination(client_for, conversation, user, third_user):
    for i in range(5):
        services.send_message(sender=user, conversation_id=conversation.pk, text=f"m{i}")
    client = client_for(user)
    page = client.get(f"{BASE}{conversation.pk}/messages/", {"limit": 2}).json()
    assert [m["seq"] for m in page["results"]] == [4, 5]
    assert page["has_more"] and page["last_seq"] == 5
    older = client.get(f"{BASE}{conversation.pk}/messages/", {"before": 4, "limit": 2}).json()
    assert [m["seq"] for m in older["results"]] == [2, 3]
    newer = client.get(f"{BASE}{conversation.pk}/messages/", {"after": 3}).json()
    assert [m["seq"] for m in newer["results"]] == [4, 5] and not newer["has_more"]
    both = client.get(f"{BASE}{conversation.pk}/messages/", {"before": 4, "after": 1})
    assert both.status_code == 400
    assert client.get(f"{BASE}{conversation.pk}/messages/", {"limit": 0}).status_code == 400
    assert client_for(third_user).get(f"{BASE}{conversation.pk}/messages/").status_code == 404
    assert client.get(f"{BASE}999999/messages/").status_code == 404


def test_messages_after_rev_returns_changes_since_a_rev(client_for, conversation, user):
    sent = [
        services.send_message(sender=user, conversation_id=conversation.pk, text=f"m{i}").message
        for i in range(3)
    ]
    services.edit_message(editor=user, message_id=sent[0].pk, text="m0 edited")
    services.delete_message(user=user, message_id=sent[1].pk)
    client = client_for(user)
    url = f"{BASE}{conversation.pk}/messages/"
    page = client.get(url, {"after_rev": 2}).json()
    assert [(m["seq"], m["rev"], m["text"], m["deleted"]) for m in page["results"]] == [
        (3, 3, "m2", False),
        (1, 4, "m0 edited", False),
        (2, 5, "", True),
    ]
    assert (page["last_seq"], page["last_rev"], page["has_more"]) == (3, 5, False)
    cut = client.get(url, {"after_rev": 2, "limit": 2}).json()
    assert [m["rev"] for m in cut["results"]] == [3, 4] and cut["has_more"]
    mixed = client.get(url, {"after": 1, "after_rev": 2})
    assert mixed.status_code == 400 and "after_rev" in mixed.json()
    assert client.get(url, {"after_rev": -1}).status_code == 400


def test_send_json_returns_the_message_and_retry_is_idempotent(client_for, conversation, user):
    client = client_for(user)
    url = f"{BASE}{conversation.pk}/send/"
    first = client.post(url, {"text": "hello", "client_id": "abc-1"}, format="json")
    assert first.status_code == 201
    body = first.json()
    assert {k: body[k] for k in ("seq", "client_id", "sender_id", "kind", "text", "deleted")} == {
        "seq": 1,
        "client_id": "abc-1",
        "sender_id": user.pk,
        "kind": "text",
        "text": "hello",
        "deleted": False,
    }
    assert body["duplicate"] is False and body["conversation_id"] == conversation.pk
    retry = client.post(url, {"text": "hello", "client_id": "abc-1"}, format="json")
    assert retry.status_code == 200
    assert retry.json()["id"] == body["id"] and retry.json()["duplicate"] is True
    assert ExpertChatMessage.objects.count() == 1


def test_send_multipart_image_and_download_by_participants_only(
    client_for, conversation, user, expert_user, third_user
):
    upload = SimpleUploadedFile("me.png", PNG_BYTES, content_type="image/png")
    response = client_for(user).post(
        f"{BASE}{conversation.pk}/send/",
        {"attachment": upload, "text": "look", "client_id": "img-1"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "image" and body["text"] == "look"
    attachment = body["attachment"]
    assert attachment["name"] == "me.png" and attachment["size"] == len(PNG_BYTES)
    assert attachment["url"] == f"{BASE}messages/{body['id']}/attachment/"

    download = client_for(expert_user).get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG_BYTES
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert client_for(third_user).get(attachment["url"]).status_code == 404

    client_for(user).delete(f"{BASE}messages/{body['id']}/")
    assert client_for(expert_user).get(attachment["url"]).status_code == 404


def test_pdf_is_downloaded_as_attachment(client_for, conversation, user):
    upload = SimpleUploadedFile("cv.pdf", PDF_BYTES)
    body = (
        client_for(user)
        .post(f"{BASE}{conversation.pk}/send/", {"attachment": upload}, format="multipart")
        .json()
    )
    assert body["kind"] == "file"
    download = client_for(user).get(body["attachment"]["url"])
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="cv.pdf"' in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("payload", "status", "field", "code"),
    [
        ({"text": ""}, 400, "text", "message_empty"),
        ({"text": "   "}, 400, "text", "message_empty"),
        ({"text": "x" * (settings.CHAT_MESSAGE_MAX_LENGTH + 1)}, 400, "text", "text_too_long"),
        ({"text": "hi", "reply_to": "abc"}, 400, "reply_to", "invalid"),
        ({"text": "hi", "reply_to": 424242}, 400, "reply_to", "reply_to_not_found"),
        ({"text": "a\x00b"}, 400, "text", "invalid"),
    ],
)
def test_send_refusals_over_rest(client_for, conversation, user, payload, status, field, code):
    response = client_for(user).post(f"{BASE}{conversation.pk}/send/", payload, format="json")
    assert response.status_code == status
    body = response.json()
    assert body["error"]["code"] == code
    assert field in body["error"]["fields"]
    assert nothing_written(conversation)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("x.png", b"#!/bin/sh\nrm -rf /\n", "attachment_type_not_allowed"),
        ("x.html", b"<!doctype html><html></html>", "attachment_type_not_allowed"),
        ("big.png", PNG_BYTES + b"\0" * 64, "attachment_too_large"),
    ],
)
def test_bad_attachment_refused_over_rest(
    client_for, conversation, user, settings, name, content, code
):
    settings.CHAT_ATTACHMENT_MAX_BYTES = len(PNG_BYTES) + 10
    response = client_for(user).post(
        f"{BASE}{conversation.pk}/send/",
        {"attachment": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert "attachment" in response.json()["error"]["fields"]
    assert nothing_written(conversation)


def test_blocked_non_participant_and_rate_limit_over_rest(
    client_for, conversation, user, expert_user, third_user, settings
):
    url = f"{BASE}{conversation.pk}/send/"
    stranger = client_for(third_user).post(url, {"text": "hi"}, format="json")
    assert stranger.status_code == 404
    assert (
        client_for(user).post(f"{BASE}999999/send/", {"text": "hi"}, format="json").status_code
        == 404
    )

    assert client_for(expert_user).post(f"{BASE}{conversation.pk}/block/").status_code == 200
    blocked = client_for(user).post(url, {"text": "hi"}, format="json")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "conversation_blocked"
    assert nothing_written(conversation)
    unblock = client_for(expert_user).delete(f"{BASE}{conversation.pk}/block/")
    assert unblock.json()["status"] == "active"

    settings.CHAT_RATE_LIMIT_PER_MINUTE = 2
    client = client_for(user)
    assert client.post(url, {"text": "1"}, format="json").status_code == 201
    assert client.post(url, {"text": "2"}, format="json").status_code == 201
    limited = client.post(url, {"text": "3"}, format="json")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited.json()["retry_after"] >= 1
    assert ExpertChatMessage.objects.count() == 2


def test_read_unread_count_archive(client_for, conversation, user, expert_user, third_user):
    m1 = services.send_message(sender=user, conversation_id=conversation.pk, text="a").message
    services.send_message(sender=user, conversation_id=conversation.pk, text="b")
    expert_client = client_for(expert_user)
    assert expert_client.get(f"{BASE}unread-count/").json() == {
        "total": 2,
        "conversations": {str(conversation.pk): 2},
    }
    read = expert_client.post(
        f"{BASE}{conversation.pk}/read/", {"message_id": m1.pk}, format="json"
    )
    assert read.json() == {"conversation_id": conversation.pk, "up_to_seq": 1, "unread": 1}
    read_all = expert_client.post(f"{BASE}{conversation.pk}/read/", {}, format="json")
    assert read_all.json()["unread"] == 0
    assert expert_client.get(f"{BASE}unread-count/").json() == {"total": 0, "conversations": {}}
    detail = client_for(user).get(f"{BASE}{conversation.pk}/").json()
    assert detail["other_last_read_seq"] == 2  # the sender sees how far the expert read
    bad = expert_client.post(f"{BASE}{conversation.pk}/read/", {"seq": -3}, format="json")
    assert bad.status_code == 400 and "seq" in bad.json()["error"]["fields"]
    assert client_for(third_user).post(f"{BASE}{conversation.pk}/read/").status_code == 404

    archived = client_for(user).post(f"{BASE}{conversation.pk}/archive/")
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    restored = client_for(user).delete(f"{BASE}{conversation.pk}/archive/")
    assert restored.json()["status"] == "active"
    assert client_for(third_user).post(f"{BASE}{conversation.pk}/archive/").status_code == 404
    assert client_for(third_user).post(f"{BASE}{conversation.pk}/block/").status_code == 404


def test_edit_and_delete_own_message_only(client_for, conversation, user, expert_user, third_user):
    message = services.send_message(
        sender=user, conversation_id=conversation.pk, text="helo"
    ).message
    url = f"{BASE}messages/{message.pk}/"
    edited = client_for(user).patch(url, {"text": "hello"}, format="json")
    assert edited.status_code == 200
    assert edited.json()["text"] == "hello" and edited.json()["edited_at"]
    too_long = client_for(user).patch(
        url, {"text": "x" * (settings.CHAT_MESSAGE_MAX_LENGTH + 1)}, format="json"
    )
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "text_too_long"
    assert client_for(expert_user).patch(url, {"text": "no"}, format="json").status_code == 403
    assert client_for(expert_user).delete(url).status_code == 403
    assert client_for(third_user).delete(url).status_code == 404
    assert client_for(user).delete(url).status_code == 204
    message.refresh_from_db()
    assert message.deleted_at is not None and message.text == ""
    tombstone = client_for(expert_user).get(f"{BASE}{conversation.pk}/messages/").json()
    assert tombstone["results"][0]["deleted"] is True and tombstone["results"][0]["text"] == ""
    assert client_for(user).patch(url, {"text": "again"}, format="json").status_code == 409


def test_typing_endpoint_is_throttled(client_for, conversation, user, third_user):
    url = f"{BASE}{conversation.pk}/typing/"
    assert client_for(user).post(url, {}, format="json").json() == {"delivered": True}
    assert client_for(user).post(url, {}, format="json").json() == {"delivered": False}
    assert client_for(third_user).post(url, {}, format="json").status_code == 404
    assert not ExpertChatMessage.objects.exists()


def test_openapi_schema_documents_chat_operations():
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator(patterns=[path("api/v1/consultations/chat/", include("chat.urls"))])
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    assert set(paths[f"{BASE}{{id}}/send/"]["post"]["responses"]) >= {"200", "201", "400", "429"}
    send_body = paths[f"{BASE}{{id}}/send/"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(send_body)
    assert "Message" in schema["components"]["schemas"]
    assert "Conversation" in schema["components"]["schemas"]
    assert paths[f"{BASE}unread-count/"]["get"]["operationId"] == "chat_unread_count"
    listed = paths[f"{BASE}list/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["$ref"].endswith("/PaginatedConversationList")


HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.mark.parametrize(
    ("sent_name", "content", "served_type", "disposition"),
    [
        # A PDF whose bytes also hold HTML, named .html: a .pdf download.
        (
            "invoice.html",
            b"%PDF-1.4\n" + HTML + b"\n%%EOF\n",
            "application/pdf",
            'attachment; filename="invoice.pdf"',
        ),
        # An image+HTML polyglot named .html: an allowlisted image, inline, as .png.
        ("poly.html", PNG_BYTES + HTML, "image/png", 'inline; filename="poly.png"'),
        ("../../etc/passwd", PDF_BYTES, "application/pdf", 'attachment; filename="passwd.pdf"'),
    ],
)
def test_hostile_attachment_names_are_stored_and_served_with_the_sniffed_extension(
    client_for, conversation, user, expert_user, sent_name, content, served_type, disposition
):
    upload = SimpleUploadedFile(sent_name, content, content_type="text/html")
    response = client_for(user).post(
        f"{BASE}{conversation.pk}/send/", {"attachment": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["attachment"]["name"] == disposition.split('"')[1]
    message = ExpertChatMessage.objects.get(pk=body["id"])
    assert message.attachment.name.endswith("." + disposition.split('"')[1].rsplit(".")[1])
    assert ".." not in message.attachment.name and "passwd" not in message.attachment.name

    download = client_for(expert_user).get(body["attachment"]["url"])
    assert download["Content-Type"] == served_type
    assert download["Content-Disposition"] == disposition
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_rows_stored_before_the_fix_are_served_with_the_right_extension(
    client_for, conversation, user
):
    upload = SimpleUploadedFile("cv.pdf", PDF_BYTES)
    body = (
        client_for(user)
        .post(f"{BASE}{conversation.pk}/send/", {"attachment": upload}, format="multipart")
        .json()
    )
    ExpertChatMessage.objects.filter(pk=body["id"]).update(attachment_name="evil.html")
    download = client_for(user).get(body["attachment"]["url"])
    assert download["Content-Disposition"] == 'attachment; filename="evil.pdf"'


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=xyz", "multipart/form-data"]
)
def test_empty_multipart_body_is_a_json_400(client_for, conversation, user, content_type):
    response = client_for(user).generic(
        "POST", f"{BASE}{conversation.pk}/send/", b"", content_type=content_type
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["message"]
