"""Shared fixtures. Tests talk to real PostgreSQL and Redis (see project/settings/test.py)."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

_seq = itertools.count(1)

# Hypothesis' per-example deadline (200 ms) measures the machine, not the code: under a
# parallel run on a busy box a plain JSON round trip exceeded it. Tests bound their work by
# example counts instead.
hypothesis_settings.register_profile("consult", deadline=None)
hypothesis_settings.load_profile("consult")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _reset_celery_join_flag():
    """Eager tasks run at once in several threads can leave Celery's process-wide
    "inside a task" flag set (each run saves and restores it, and the restores interleave);
    later EagerResult.get() calls would then refuse to run. Start every test clean."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
    _set_task_join_will_block(False)


@pytest.fixture
def make_user(db):
    def _make(email: str | None = None, password: str = "s3cret-pass-123", **extra) -> User:
        email = email or f"user{next(_seq)}@example.com"
        user = User.objects.create_user(username=email, email=email, password=password, **extra)
        return user

    return _make


@pytest.fixture
def user(make_user) -> User:
    return make_user(first_name="Uma", last_name="User")


@pytest.fixture
def other_user(make_user) -> User:
    return make_user(first_name="Otto", last_name="Other")


@pytest.fixture
def staff_user(make_user) -> User:
    return make_user(is_staff=True, first_name="Ada", last_name="Admin")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    def _client(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _client
