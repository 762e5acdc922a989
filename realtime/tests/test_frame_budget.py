"""A socket past its frame budget gets `rate_limited` errors; its frames never reach a handler."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from realtime import consumers
from realtime import frame_budget as frame_budget_module
from realtime.frame_budget import FrameBudget
from realtime.testing import connect_ws, receive_event


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_allows_the_burst_then_refills_at_the_rate(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(frame_budget_module.time, "monotonic", clock)
    budget = FrameBudget(rate=2, burst=3)
    assert [budget.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert budget.take() == pytest.approx(0.5)  # one frame per half second at 2/s
    clock.now += 0.5
    assert budget.take() == 0.0
    assert budget.take() > 0
    clock.now += 3600  # a long quiet spell refills to the burst, not beyond it
    assert [budget.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert budget.take() > 0


def _limited_total() -> float:
    return REGISTRY.get_sample_value("consult_ws_frames_rate_limited_total") or 0.0


@pytest.mark.django_db(transaction=True)
async def test_frames_past_the_budget_are_refused_before_any_handler(user, settings, monkeypatch):
    settings.WS_FRAMES_PER_SECOND = 0.001  # no refill during the test
    settings.WS_FRAME_BURST = 3
    looked_up: list[str] = []
    real_get_handler = consumers.get_handler

    def spy(message_type: str):
        looked_up.append(message_type)
        return real_get_handler(message_type)

    monkeypatch.setattr(consumers, "get_handler", spy)
    before = _limited_total()
    comm = await connect_ws(user)
    for n in range(3):
        await comm.send_json_to({"type": "ping", "request_id": f"p{n}"})
        assert (await receive_event(comm, "pong"))["data"]["request_id"] == f"p{n}"

    await comm.send_json_to(
        {"type": "chat.read", "request_id": "r4", "data": {"conversation_id": 1}}
    )
    refused = (await receive_event(comm, "error"))["data"]
    assert refused["code"] == "rate_limited"
    assert refused["request_id"] == "r4"  # the client can fail that request and retry it
    assert refused["retry_after"] >= 1
    assert "per second" in refused["message"]
    await comm.send_json_to({"type": "ping", "request_id": "p5"})
    assert (await receive_event(comm, "error"))["data"]["request_id"] == "p5"
    assert looked_up == []  # neither frame reached a handler
    assert _limited_total() - before == 2
    await comm.disconnect()
