"""chat/throttling.py: the per-user send limit and the typing throttle."""

from __future__ import annotations

import pytest

from chat.throttling import check_send_rate, reset_typing, typing_allowed
from project.api_errors import ServiceError


def test_send_rate_refuses_past_the_limit_per_user(settings):
    settings.CHAT_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        check_send_rate(1)
    with pytest.raises(ServiceError) as exc:
        check_send_rate(1)
    assert exc.value.code == "rate_limited"
    assert exc.value.status_code == 429
    assert 1 <= exc.value.extra["retry_after"] <= 60
    check_send_rate(2)  # another user has their own budget


def test_send_rate_window_expires(settings, time_machine):
    settings.CHAT_RATE_LIMIT_PER_MINUTE = 1
    time_machine.move_to("2030-01-01 12:00:00", tick=False)
    check_send_rate(1)
    with pytest.raises(ServiceError):
        check_send_rate(1)
    time_machine.move_to("2030-01-01 12:01:01", tick=False)
    check_send_rate(1)


def test_typing_is_throttled_until_reset():
    assert typing_allowed(1, 10)
    assert not typing_allowed(1, 10)
    assert typing_allowed(1, 11)  # per conversation
    assert typing_allowed(2, 10)  # per user
    reset_typing(1, 10)
    assert typing_allowed(1, 10)


@pytest.fixture
def redis_cache(settings):
    import os
    import uuid

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}",
        }
    }
    from django.core.cache import cache

    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{cache.key_prefix}:*"):
        client.delete(key)


def test_send_rate_on_redis_is_one_round_trip_and_refuses_past_the_limit(
    redis_cache, settings, monkeypatch
):
    import redis

    settings.CHAT_RATE_LIMIT_PER_MINUTE = 2
    calls: list[str] = []
    original = redis.Redis.execute_command

    def counting(self, *args, **kwargs):
        calls.append(str(args[0]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    check_send_rate(7)
    assert calls[-1] == "EVALSHA"  # the first call may load the script once
    calls.clear()
    check_send_rate(7)
    assert calls == ["EVALSHA"]
    with pytest.raises(ServiceError) as exc:
        check_send_rate(7)
    assert (exc.value.code, exc.value.status_code) == ("rate_limited", 429)
    assert 1 <= exc.value.extra["retry_after"] <= 60
    check_send_rate(8)  # per user
    client = redis_cache._cache.get_client(write=True)
    assert 0 < client.ttl(redis_cache.make_key("chat:rate:7")) <= 60  # the window closes


def test_refund_gives_one_send_back(redis_cache, settings):
    from chat.throttling import refund_send

    settings.CHAT_RATE_LIMIT_PER_MINUTE = 1
    check_send_rate(9)
    refund_send(9)
    check_send_rate(9)
    with pytest.raises(ServiceError):
        check_send_rate(9)
