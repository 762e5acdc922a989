"""Register, login (session + token), logout and /me, with the JSON error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_register_logs_in_and_returns_token():
    client = APIClient(enforce_csrf_checks=True)
    res = client.post(
        "/api/v1/auth/register/",
        {"email": "New@Example.com", "password": "a-long-pass-phrase", "first_name": "Nia"},
        format="json",
    )
    assert res.status_code == 201, res.content
    assert res.data["user"]["email"] == "new@example.com"
    assert res.data["user"]["roles"] == {
        "is_expert": False,
        "expert_id": None,
        "expert_status": None,
        "is_staff": False,
    }
    me = client.get("/api/v1/auth/me/")  # the session cookie from register works
    assert me.status_code == 200 and me.data["name"] == "Nia"
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {res.data['token']}")
    assert token_client.get("/api/v1/auth/me/").data["email"] == "new@example.com"


def test_register_rejects_duplicate_and_weak_password(user):
    client = APIClient()
    dup = client.post(
        "/api/v1/auth/register/",
        {"email": user.email.upper(), "password": "a-long-pass-phrase"},
        format="json",
    )
    assert dup.status_code == 400
    assert dup.data["error"]["fields"] == {"email": ["An account with this email already exists."]}
    weak = client.post(
        "/api/v1/auth/register/", {"email": "w@example.com", "password": "12345678"}, format="json"
    )
    assert weak.status_code == 400 and "password" in weak.data
    bad = client.post("/api/v1/auth/register/", {"email": "nope"}, format="json")
    assert bad.status_code == 400
    assert set(bad.data["error"]["fields"]) == {"email", "password"}


def test_login_logout_and_me(user):
    client = APIClient()
    wrong = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": "wrong"}, format="json"
    )
    assert wrong.status_code == 400 and wrong.data["error"]["code"] == "invalid_credentials"
    assert client.get("/api/v1/auth/me/").status_code in (401, 403)
    ok = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": "s3cret-pass-123"}, format="json"
    )
    assert ok.status_code == 200 and ok.data["user"]["id"] == user.id
    assert client.get("/api/v1/auth/me/").data["id"] == user.id
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code in (401, 403)


def test_session_writes_require_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username=user.username, password="s3cret-pass-123")
    res = client.post("/api/v1/auth/logout/")
    assert res.status_code == 403
    assert "CSRF" in res.data["error"]["message"]


def test_roles_follow_data(user, staff_user):
    from consultations.models import Expert

    client = APIClient()
    client.force_authenticate(staff_user)
    assert client.get("/api/v1/auth/me/").data["roles"]["is_staff"] is True
    expert = Expert.objects.create(user=user, name="U", verification_status="pending")
    client.force_authenticate(user)
    roles = client.get("/api/v1/auth/me/").data["roles"]
    assert roles["is_expert"] is False and roles["expert_status"] == "pending"
    expert.verification_status = "approved"
    expert.save()
    assert client.get("/api/v1/auth/me/").data["roles"]["is_expert"] is True


def test_session_answers_200_for_anonymous_and_signed_in(user):
    anonymous = APIClient().get("/api/v1/auth/session/")
    assert anonymous.status_code == 200
    assert anonymous.data == {"authenticated": False, "user": None}
    assert "csrftoken" in anonymous.cookies  # a later POST /login/ can send X-CSRFToken
    client = APIClient()
    client.force_authenticate(user)
    signed_in = client.get("/api/v1/auth/session/")
    assert signed_in.status_code == 200
    assert signed_in.data["authenticated"] is True
    assert signed_in.data["user"]["id"] == user.id
