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


RESET = "/api/v1/auth/password/reset/"


def _reset(**meta):
    return APIClient().post(RESET, {"email": "someone@example.com"}, format="json", **meta)


def test_password_reset_limit_ignores_forwarded_for_from_an_untrusted_peer(monkeypatch, settings):
    """The reset throttle keys on project.client_ip: a peer outside TRUSTED_PROXIES cannot
    rotate X-Forwarded-For to get a fresh allowance (DRF's get_ident believed it)."""
    from accounts.views import PasswordResetThrottle

    monkeypatch.setattr(PasswordResetThrottle, "THROTTLE_RATES", {"password_reset": "3/hour"})
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    # As settings/base.py ties them: NUM_PROXIES follows TRUSTED_PROXY_COUNT.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    codes = [
        _reset(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    # Behind the trusted proxy, each real client has its own allowance.
    for client in ("198.51.100.1", "198.51.100.2"):
        r = _reset(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {client}")
        assert r.status_code == 200
