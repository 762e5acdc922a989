"""Profile, password reset/change, email change and personal API tokens (accounts.views)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import ApiToken, Profile

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass-123"


def signed_in(user) -> APIClient:
    client = APIClient()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture(autouse=True)
def _commit_callbacks_run(monkeypatch):
    """Emails are queued with transaction.on_commit; the test transaction never commits, so
    run those callbacks at once, as the commit of the request would."""
    from accounts import services

    monkeypatch.setattr(services.transaction, "on_commit", lambda func, robust=False: func())


def link_in(message) -> str:
    found = re.search(r"https?://\S+", message.body)
    assert found, message.body
    return found.group(0)


# --------------------------------------------------------------------------- profile


def test_signup_stores_the_browser_zone_and_clock():
    res = APIClient().post(
        "/api/v1/auth/register/",
        {
            "email": "ny@example.com",
            "password": "a-long-pass-phrase",
            "timezone": "America/New_York",
            "time_format": "12h",
        },
        format="json",
    )
    assert res.status_code == 201, res.content
    assert res.data["user"]["timezone"] == "America/New_York"
    assert res.data["user"]["time_format"] == "12h"
    profile = Profile.objects.get(user__email="ny@example.com")
    assert (profile.timezone, profile.time_format) == ("America/New_York", "12h")


def test_signup_refuses_an_unknown_zone_and_writes_nothing():
    res = APIClient().post(
        "/api/v1/auth/register/",
        {"email": "x@example.com", "password": "a-long-pass-phrase", "timezone": "Mars/Olympus"},
        format="json",
    )
    assert res.status_code == 400 and "timezone" in res.data["error"]["fields"]
    assert not User.objects.filter(email="x@example.com").exists()


def test_every_user_has_a_profile(make_user):
    assert Profile.objects.filter(user=make_user()).exists()


def test_profile_get_and_patch(user):
    client = signed_in(user)
    got = client.get("/api/v1/auth/profile/")
    assert got.status_code == 200
    assert got.data["effective_timezone"] == "UTC" and got.data["email_chat"] is True
    res = client.patch(
        "/api/v1/auth/profile/",
        {
            "display_name": "Uma U.",
            "timezone": "Asia/Kolkata",
            "time_format": "12h",
            "email_chat": False,
            "phone": "+33 6 12 34 56 78",
        },
        format="json",
    )
    assert res.status_code == 200, res.content
    assert res.data["effective_timezone"] == "Asia/Kolkata"
    profile = Profile.objects.get(user=user)
    assert (profile.display_name, profile.time_format, profile.email_chat) == (
        "Uma U.",
        "12h",
        False,
    )
    assert client.get("/api/v1/auth/me/").data["name"] == "Uma U."


def test_profile_patch_refuses_bad_values(user):
    client = signed_in(user)
    bad = client.patch("/api/v1/auth/profile/", {"timezone": "Nowhere/Land"}, format="json")
    assert bad.status_code == 400 and "timezone" in bad.data["error"]["fields"]
    bad = client.patch("/api/v1/auth/profile/", {"time_format": "13h"}, format="json")
    assert bad.status_code == 400 and "time_format" in bad.data["error"]["fields"]
    assert Profile.objects.get(user=user).timezone == ""


def test_profile_display_currency_is_one_the_list_can_convert_into(user, settings):
    settings.CURRENCY_BASE = "USD"
    settings.CURRENCY_RATES = {"EUR": 1.1, "GBP": 1.25}
    client = signed_in(user)
    assert client.get("/api/v1/auth/me/").data["currency"] == ""  # the locale decides
    res = client.patch("/api/v1/auth/profile/", {"currency": "gbp"}, format="json")
    assert res.status_code == 200 and res.data["currency"] == "GBP"
    assert client.get("/api/v1/auth/me/").data["currency"] == "GBP"
    bad = client.patch("/api/v1/auth/profile/", {"currency": "XYZ"}, format="json")
    assert bad.status_code == 400 and "currency" in bad.data["error"]["fields"]
    assert Profile.objects.get(user=user).currency == "GBP"
    assert client.patch("/api/v1/auth/profile/", {"currency": ""}, format="json").status_code == 200
    assert Profile.objects.get(user=user).currency == ""


def test_profile_needs_sign_in():
    assert APIClient().get("/api/v1/auth/profile/").status_code == 403


# --------------------------------------------------------------------------- password reset


def test_reset_answers_alike_and_mails_only_existing_accounts(user):
    client = APIClient()
    known = client.post("/api/v1/auth/password/reset/", {"email": user.email.upper()})
    unknown = client.post("/api/v1/auth/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    assert [m.to for m in mail.outbox] == [[user.email]]
    message = mail.outbox[0]
    assert message.subject == "Reset your Consult password"
    assert message.alternatives[0][1] == "text/html"


def test_reset_link_works_once_and_signs_out_tokens(user):
    old_token = Token.objects.create(user=user)
    APIClient().post("/api/v1/auth/password/reset/", {"email": user.email})
    link = link_in(mail.outbox[0])
    uid = re.search(r"uid=([^&]+)", link).group(1)
    token = re.search(r"token=([^&\s]+)", link).group(1)
    body = {"uid": uid, "token": token, "new_password": "brand-new-pass-77"}
    first = APIClient().post("/api/v1/auth/password/reset/confirm/", body)
    assert first.status_code == 200, first.content
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-77")
    assert not Token.objects.filter(pk=old_token.pk).exists()
    again = APIClient().post(
        "/api/v1/auth/password/reset/confirm/", {**body, "new_password": "other-pass-88x"}
    )
    assert again.status_code == 400 and again.data["error"]["code"] == "invalid_token"


def test_reset_link_expires(user, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    APIClient().post("/api/v1/auth/password/reset/", {"email": user.email})
    link = link_in(mail.outbox[0])
    uid = re.search(r"uid=([^&]+)", link).group(1)
    token = re.search(r"token=([^&\s]+)", link).group(1)
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later):
        res = APIClient().post(
            "/api/v1/auth/password/reset/confirm/",
            {"uid": uid, "token": token, "new_password": "brand-new-pass-77"},
        )
    assert res.status_code == 400 and res.data["error"]["fields"] == {
        "token": ["This reset link is invalid or has expired. Ask for a new one."]
    }


def test_reset_is_throttled(user):
    client = APIClient()
    codes = [
        client.post("/api/v1/auth/password/reset/", {"email": f"n{i}@example.com"}).status_code
        for i in range(12)
    ]
    assert codes[:10] == [200] * 10 and codes[-1] == 429
    # And one address gets one email per quiet period, however often it is asked for.
    mail.outbox.clear()
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        APIClient().post("/api/v1/auth/password/reset/", {"email": user.email})
    assert len(mail.outbox) == 1


# --------------------------------------------------------------------------- password change


def test_change_password_keeps_this_session_and_revokes_the_rest(user):
    here = signed_in(user)
    elsewhere = signed_in(user)
    old_token = Token.objects.create(user=user)
    ApiToken.objects.create(user=user, name="ci", key_hash="x" * 64, key_prefix="pat_x")
    wrong = here.post(
        "/api/v1/auth/password/change/",
        {"current_password": "nope", "new_password": "brand-new-pass-77"},
    )
    assert wrong.status_code == 400 and "current_password" in wrong.data["error"]["fields"]
    res = here.post(
        "/api/v1/auth/password/change/",
        {"current_password": PASSWORD, "new_password": "brand-new-pass-77"},
    )
    assert res.status_code == 200, res.content
    assert here.get("/api/v1/auth/me/").status_code == 200
    assert elsewhere.get("/api/v1/auth/me/").status_code == 403
    assert not Token.objects.filter(key=old_token.key).exists()
    assert not ApiToken.objects.filter(user=user).exists()
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {res.data['token']}")
    assert fresh.get("/api/v1/auth/me/").status_code == 200


def test_change_password_refuses_weak_one(user):
    res = signed_in(user).post(
        "/api/v1/auth/password/change/",
        {"current_password": PASSWORD, "new_password": "12345678"},
    )
    assert res.status_code == 400 and "new_password" in res.data["error"]["fields"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --------------------------------------------------------------------------- email change


def test_change_email_needs_the_link_sent_to_the_new_address(user, make_user):
    client = signed_in(user)
    taken = make_user(email="taken@example.com")
    dup = client.post(
        "/api/v1/auth/email/change/", {"new_email": taken.email, "password": PASSWORD}
    )
    assert dup.status_code == 400 and "new_email" in dup.data["error"]["fields"]
    res = client.post(
        "/api/v1/auth/email/change/", {"new_email": "New@Example.com", "password": PASSWORD}
    )
    assert res.status_code == 202, res.content
    user.refresh_from_db()
    assert user.email != "new@example.com"  # nothing changes before the link is opened
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    token = re.search(r"token=(\S+)", link_in(message)).group(1)
    ok = APIClient().post("/api/v1/auth/email/confirm/", {"token": token})
    assert ok.status_code == 200, ok.content
    user.refresh_from_db()
    assert (user.email, user.username) == ("new@example.com", "new@example.com")
    again = APIClient().post("/api/v1/auth/email/confirm/", {"token": token})
    assert again.status_code == 400 and again.data["error"]["code"] == "invalid_token"


def test_change_email_needs_the_password(user):
    res = signed_in(user).post(
        "/api/v1/auth/email/change/", {"new_email": "n@example.com", "password": "wrong"}
    )
    assert res.status_code == 400 and "password" in res.data["error"]["fields"]
    assert mail.outbox == []


# --------------------------------------------------------------------------- API tokens


def test_tokens_are_created_listed_with_last_use_and_revoked(user, other_user):
    client = signed_in(user)
    created = client.post("/api/v1/auth/tokens/", {"name": "backup script"})
    assert created.status_code == 201, created.content
    key = created.data["key"]
    assert key.startswith("pat_") and created.data["key_prefix"] == key[:8]
    assert not ApiToken.objects.filter(key_hash=key).exists()  # stored hashed
    listed = client.get("/api/v1/auth/tokens/").data
    assert [t["name"] for t in listed] == ["backup script"] and listed[0]["last_used_at"] is None
    assert "key" not in listed[0]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/auth/me/").status_code == 200
    assert client.get("/api/v1/auth/tokens/").data[0]["last_used_at"] is not None
    # Someone else cannot revoke it.
    token_id = created.data["id"]
    assert signed_in(other_user).delete(f"/api/v1/auth/tokens/{token_id}/").status_code == 404
    assert client.delete(f"/api/v1/auth/tokens/{token_id}/").status_code == 204
    assert api.get("/api/v1/auth/me/").status_code == 403
    assert client.get("/api/v1/auth/tokens/").data == []
