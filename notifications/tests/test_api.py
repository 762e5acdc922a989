"""/api/v1/notifications/: list (paginated, filters), unread count, mark read; own rows only."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from notifications.services import create_notification, mark_read

pytestmark = pytest.mark.django_db

BASE = "/api/v1/notifications/"


def _make(recipient, title="Hi", kind=Notification.Kind.CHAT_MESSAGE) -> Notification:
    return create_notification(recipient=recipient, kind=kind, title=title)


def test_anonymous_is_refused(api_client):
    for path in (BASE, f"{BASE}unread-count/"):
        assert api_client.get(path).status_code == 403
    assert api_client.post(f"{BASE}read-all/").status_code == 403


def test_list_shows_only_my_notifications_newest_first(client_for, user, other_user):
    first = _make(user, "first")
    second = _make(user, "second")
    _make(other_user, "not mine")
    body = client_for(user).get(BASE).json()
    assert body["count"] == 2
    assert [n["id"] for n in body["results"]] == [second.pk, first.pk]
    row = body["results"][0]
    assert set(row) == {
        "id",
        "kind",
        "title",
        "body",
        "data",
        "url",
        "is_read",
        "read_at",
        "created_at",
    }


def test_list_is_paginated(client_for, user):
    for i in range(23):
        _make(user, f"n{i}")
    client = client_for(user)
    page1 = client.get(BASE).json()
    assert page1["count"] == 23 and len(page1["results"]) == 20 and page1["next"]
    page2 = client.get(page1["next"]).json()
    assert len(page2["results"]) == 3


def test_unread_filter(client_for, user):
    read = _make(user, "read")
    unread = _make(user, "unread")
    mark_read(user=user, notification_id=read.pk)
    client = client_for(user)
    assert [n["id"] for n in client.get(BASE, {"unread": "true"}).json()["results"]] == [unread.pk]
    assert [n["id"] for n in client.get(BASE, {"unread": "false"}).json()["results"]] == [read.pk]
    assert client.get(BASE).json()["count"] == 2


def test_kind_filter_and_bad_kind(client_for, user):
    chat = _make(user)
    _make(user, kind=Notification.Kind.CONSULTATION_CONFIRMED)
    client = client_for(user)
    rows = client.get(BASE, {"kind": "chat.message"}).json()["results"]
    assert [n["id"] for n in rows] == [chat.pk]
    response = client.get(BASE, {"kind": "nonsense"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_unread_count(client_for, user, other_user):
    _make(user)
    _make(user)
    _make(other_user)
    assert client_for(user).get(f"{BASE}unread-count/").json() == {"unread_count": 2}


def test_mark_one_read(client_for, user):
    n = _make(user)
    client = client_for(user)
    response = client.post(f"{BASE}{n.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True and response.json()["read_at"]
    assert client.get(f"{BASE}unread-count/").json() == {"unread_count": 0}
    assert client.post(f"{BASE}{n.pk}/read/").status_code == 200  # idempotent


def test_marking_someone_elses_notification_is_404_and_changes_nothing(
    client_for, user, other_user
):
    theirs = _make(other_user)
    response = client_for(user).post(f"{BASE}{theirs.pk}/read/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client_for(user).post(f"{BASE}999999/read/").status_code == 404


def test_read_all(client_for, user, other_user):
    _make(user)
    _make(user)
    theirs = _make(other_user)
    response = client_for(user).post(f"{BASE}read-all/")
    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread_count": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_openapi_schema_documents_the_endpoints(client_for, staff_user):
    schema = client_for(staff_user).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    listing = paths["/api/v1/notifications/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"unread", "kind", "page"}
    assert "/api/v1/notifications/unread-count/" in paths
    assert "/api/v1/notifications/{id}/read/" in paths
    assert "/api/v1/notifications/read-all/" in paths
    props = schema["components"]["schemas"]["Notification"]["properties"]
    assert props["is_read"]["type"] == "boolean"
