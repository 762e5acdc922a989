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
