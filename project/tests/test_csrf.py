"""Login and register: browsers need a CSRF token; API clients without cookies do not."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


@pytest.fixture
def account(make_user):
    return make_user(email="csrf@example.com", password="right-password-1")


def _browser() -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.get("/api/v1/auth/session/")  # hands out the csrftoken cookie, as the SPA does
    return client


def test_browser_login_without_a_csrf_token_is_refused(account):
    client = _browser()
    body = {"email": "csrf@example.com", "password": "right-password-1"}
    r = client.post(LOGIN, body, format="json", HTTP_ORIGIN="http://testserver")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"
    assert "CSRF" in r.json()["detail"]
    assert "sessionid" not in r.cookies


def test_cross_site_form_login_is_refused_even_without_cookies(account):
    client = APIClient(enforce_csrf_checks=True)
    r = client.post(
        LOGIN,
        {"email": "csrf@example.com", "password": "right-password-1"},
        HTTP_ORIGIN="https://evil.example",
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert r.status_code == 403


def test_browser_login_with_the_token_works(account):
    client = _browser()
    token = client.cookies["csrftoken"].value
    r = client.post(
        LOGIN,
        {"email": "csrf@example.com", "password": "right-password-1"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="http://testserver",
    )
    assert r.status_code == 200, r.json()
    assert "sessionid" in r.cookies


def test_api_client_without_cookies_logs_in_without_csrf(account):
    client = APIClient(enforce_csrf_checks=True)
    body = {"email": "csrf@example.com", "password": "right-password-1"}
    r = client.post(LOGIN, body, format="json")
    assert r.status_code == 200
    assert r.json()["token"]


def test_register_from_a_browser_needs_the_token_too():
    client = _browser()
    r = client.post(
        "/api/v1/auth/register/",
        {"email": "new@example.com", "password": "a-long-password-9", "first_name": "N"},
        format="json",
    )
    assert r.status_code == 403
