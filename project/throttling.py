"""Throttles keyed on the real client address, and the per-account login limit."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.throttling import AnonRateThrottle

from project.client_ip import client_ip


class ClientAddressThrottle(AnonRateThrottle):
    """AnonRateThrottle keyed on project.client_ip, never on a client-sent header."""

    def get_ident(self, request) -> str:
        return client_ip(request)


# ---------------------------------------------------------------- per-account login limit
#
# Counts failed logins per account (normalised e-mail), whatever address they come from,
# so rotating addresses cannot guess a password. A fixed window opens at the first
# failure; past LOGIN_MAX_FAILURES the account's logins get 429 with Retry-After until it
# closes. A successful login clears the count.


def _key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login:failures:{digest}"


def _window() -> int:
    return int(settings.LOGIN_FAILURE_WINDOW_SECONDS)


def check_login_allowed(email: str) -> None:
    key = _key(email)
    failures = cache.get(key) or 0
    if failures >= int(settings.LOGIN_MAX_FAILURES):
        opened = cache.get(f"{key}:opened") or time.time()
        wait = max(1, int(opened + _window() - time.time() + 0.999))
        raise Throttled(
            wait=wait,
            detail=f"Too many failed logins for this account. Try again in {wait} seconds.",
        )


def record_login_failure(email: str) -> None:
    key = _key(email)
    if cache.add(key, 1, _window()):
        cache.set(f"{key}:opened", time.time(), _window())
        return
    try:
        cache.incr(key)
    except ValueError:  # the window closed in between
        cache.set(key, 1, _window())
        cache.set(f"{key}:opened", time.time(), _window())


def clear_login_failures(email: str) -> None:
    key = _key(email)
    cache.delete_many([key, f"{key}:opened"])
