"""Login limits: per address (the real one) and per account, with 429 and Retry-After."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def _login(email: str, password: str, **headers):
    return APIClient().post(LOGIN, {"email": email, "password": password}, format="json", **headers)


def test_rotating_x_forwarded_for_does_not_reset_the_address_limit(monkeypatch):
    from accounts.views import AuthThrottle

    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"auth": "5/min"})
    codes = [
        _login(f"nobody{i}@example.com", "x", HTTP_X_FORWARDED_FOR=f"10.0.{i}.{i}").status_code
        for i in range(8)
    ]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429] * 3


def test_failed_logins_lock_the_account_from_any_address(make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 600
    make_user(email="victim@example.com", password="right-password-1")
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        for i in range(3):
            r = _login("victim@example.com", "wrong", REMOTE_ADDR=f"198.51.100.{i}")
            assert r.status_code == 400
        clock.shift(60)
        # Even the right password waits: the attacker cannot learn it by timing the lock.
        r = _login("Victim@Example.com ", "right-password-1", REMOTE_ADDR="203.0.113.50")
        assert r.status_code == 429
        assert r["Retry-After"] == "540"
        body = r.json()
        assert body["error"]["code"] == "throttled" and "Try again in 540 seconds" in body["detail"]
        clock.shift(541)
        assert _login("victim@example.com", "right-password-1").status_code == 200


def test_a_successful_login_clears_the_failures(make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user(email="forgetful@example.com", password="right-password-1")
    for _ in range(2):
        assert _login("forgetful@example.com", "wrong").status_code == 400
    assert _login("forgetful@example.com", "right-password-1").status_code == 200
    for _ in range(2):
        assert _login("forgetful@example.com", "wrong").status_code == 400
    assert _login("forgetful@example.com", "right-password-1").status_code == 200
