"""Production settings pass Django's deployment checks and trust proxies only when told."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from django.conf import settings

PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "project.settings.prod",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "consult.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://consult.example.com",
}


def _prod(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**os.environ, **PROD_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_is_clean_with_prod_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**os.environ, **PROD_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_https_settings():
    out = _prod(
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )
    assert out == "True 31536000 True True None"


def test_proxy_ssl_header_is_trusted_only_behind_a_configured_proxy():
    out = _prod(
        "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, "
        "s.REST_FRAMEWORK['NUM_PROXIES'])",
        TRUSTED_PROXY_COUNT="1",
    )
    assert out == "('HTTP_X_FORWARDED_PROTO', 'https') 1"


def test_health_check_is_not_redirected_in_prod():
    out = _prod(
        "from django.test import Client; "
        "r = Client().get('/healthz', HTTP_HOST='consult.example.com'); "
        "s = Client().get('/api/v1/auth/session/', HTTP_HOST='consult.example.com'); "
        "f = Client().get('/api/v1/auth/session/', HTTP_HOST='consult.example.com', "
        "HTTP_X_FORWARDED_PROTO='https'); "
        "print(r.status_code != 301, s.status_code, f.status_code)"
    )
    # A client-sent X-Forwarded-Proto does not make plain HTTP look secure.
    assert out == "True 301 301"
