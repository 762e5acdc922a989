"""accounts.authentication: a valid Token header is never refused for CSRF; sessions keep CSRF."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass-123"


def _login(client: APIClient, user) -> str:
    res = client.post("/api/v1/auth/login/", {"email": user.email, "password": PASSWORD})
    assert res.status_code == 200, res.content
    return res.data["token"]


def test_token_post_with_the_login_cookie_is_not_refused_for_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    token = _login(client, user)
    assert "sessionid" in client.cookies  # the cookie is kept, as a real API client would
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    res = client.post("/api/v1/auth/logout/")
    assert res.status_code == 204, res.content


def test_token_post_without_cookies(user):
    token = _login(APIClient(), user)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/auth/logout/").status_code == 204


def test_session_post_without_csrf_is_still_refused(user):
    client = APIClient(enforce_csrf_checks=True)
    _login(client, user)
    res = client.post("/api/v1/auth/logout/")
    assert res.status_code == 403
    assert "CSRF" in res.data["error"]["message"]


def test_a_wrong_token_is_refused_even_with_a_valid_session(user):
    client = APIClient(enforce_csrf_checks=True)
    _login(client, user)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    res = client.get("/api/v1/auth/me/")
    # Decided by the token alone: no silent fall-back to the cookie.
    assert res.status_code == 403 and res.data["error"]["message"] == "Invalid token."


def test_personal_token_authenticates_and_records_last_use(user):
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user, name="script", key_hash=hash_key(key), key_prefix=key[:8]
    )
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    before = timezone.now()
    assert client.get("/api/v1/auth/me/").data["email"] == user.email
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at >= before


def test_inactive_users_token_is_refused(user):
    token = _login(APIClient(), user)
    user.is_active = False
    user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/auth/me/").status_code == 403
