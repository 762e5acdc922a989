"""chat.send's fast field check accepts exactly what DRF would, with the same values."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chat import socket_handlers
from project.api_errors import ServiceError
from project.parsing import MAX_ID

ids = st.one_of(
    st.integers(min_value=-2, max_value=3),
    st.sampled_from([MAX_ID, MAX_ID + 1, True, None, "7", 7.0, 7.5]),
)
texts = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["hi", " hi ", "a\x00b", "\ud800", "é", "", 5, None, True, ["x"]]),
)
values = {
    "conversation_id": ids,
    "text": texts,
    "client_id": st.one_of(texts, st.just("x" * 65), st.just("y" * 64)),
    "reply_to": ids,
    "extra": st.integers(),
}
frames = st.fixed_dictionaries({}, optional=values)


def drf(data: dict[str, Any]) -> dict[str, Any] | str:
    try:
        return dict(socket_handlers._validated(socket_handlers._SocketSend, data))
    except ServiceError as exc:
        return f"{exc.field}:{exc.code}"


def fast(data: dict[str, Any]) -> dict[str, Any] | str:
    try:
        return socket_handlers._send_fields(data)
    except ServiceError as exc:
        return f"{exc.field}:{exc.code}"


@settings(max_examples=400)
@given(frames)
def test_the_fast_check_agrees_with_drf(data: dict[str, Any]) -> None:
    assert fast(data) == drf(data)


def test_a_plain_frame_skips_drf(monkeypatch) -> None:
    def refuse(*args: Any) -> None:
        raise AssertionError("DRF ran")

    monkeypatch.setattr(socket_handlers, "_validated", refuse)
    frame = {"conversation_id": 3, "text": "hello", "client_id": "c-1", "reply_to": None}
    assert socket_handlers._send_fields(frame) == frame
