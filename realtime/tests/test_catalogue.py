"""realtime/catalogue.py: publishing refuses undeclared types and payloads that don't fit,
and the exported JSON Schema and README table are regenerated from it."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from realtime import catalogue
from realtime.catalogue import (
    BOOKING_CANCELLED,
    CATALOGUE,
    CHAT_TYPING,
    NOTIFICATION_READ,
    SESSION_READY,
    InvalidPayload,
    UndeclaredEvent,
)
from realtime.events import publish_to_user, publish_to_users, send_to_user_now

BOOKING = {
    "id": 1,
    "status": "cancelled",
    "start_at": "2026-12-01T09:00:00+00:00",
    "end_at": "2026-12-01T10:00:00+00:00",
    "duration_minutes": 60,
    "topic": "Tax",
    "user_id": 2,
    "user_name": "Uma",
    "expert_id": 3,
    "expert_name": "Ed",
    "expert_user_id": 4,
    "payment_status": "refund_due",
    "rescheduled_from_id": None,
    "cancelled_by_id": 2,
    "cancellation_reason": "",
    "full_refund": True,
    "refund_amount": "40.00",
}


@pytest.fixture
def sent(monkeypatch):
    calls: list[tuple[list[int], dict]] = []
    monkeypatch.setattr("realtime.events._send_now", lambda ids, env: calls.append((ids, env)))
    return calls


def test_a_declared_event_with_a_fitting_payload_is_published(
    sent, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish_to_users([4, 2], BOOKING_CANCELLED, BOOKING)
    assert [(ids, env["type"], env["data"]) for ids, env in sent] == [
        ([2, 4], BOOKING_CANCELLED, BOOKING)
    ]


def test_an_undeclared_type_is_refused(sent, db):
    with pytest.raises(UndeclaredEvent, match=r"booking\.teleported"):
        publish_to_user(1, "booking.teleported", {})
    with pytest.raises(UndeclaredEvent):
        send_to_user_now(1, "chat.shouting", {})
    assert sent == []


@pytest.mark.parametrize(
    "change",
    [
        {"refund_amount": None},  # wrong type
        {"id": "1"},  # strict: no string-to-int coercion
        {"surprise": 1},  # undeclared field
    ],
)
def test_a_payload_that_does_not_fit_is_refused(sent, db, change):
    with pytest.raises(InvalidPayload, match=re.escape(BOOKING_CANCELLED)):
        publish_to_user(1, BOOKING_CANCELLED, BOOKING | change)
    assert sent == []


def test_a_missing_field_is_refused(sent, db):
    data = dict(BOOKING)
    del data["full_refund"]
    with pytest.raises(InvalidPayload, match="full_refund"):
        publish_to_user(1, BOOKING_CANCELLED, data)


def test_socket_only_events_cannot_be_published(sent, db):
    with pytest.raises(UndeclaredEvent, match="consumer only"):
        publish_to_user(1, SESSION_READY, {"user_id": 1})


def test_outside_strict_mode_a_mismatch_is_logged_and_still_sent(
    sent, db, caplog, django_capture_on_commit_callbacks
):
    with override_settings(REALTIME_STRICT_EVENTS=False), caplog.at_level(logging.ERROR):
        with django_capture_on_commit_callbacks(execute=True):
            publish_to_user(1, NOTIFICATION_READ, {"ids": "all", "unread_count": 0})
    assert len(sent) == 1
    assert "does not match realtime/catalogue.py" in caplog.text


def test_typing_is_declared_ephemeral():
    assert CATALOGUE[CHAT_TYPING].durable is False
    assert CATALOGUE[BOOKING_CANCELLED].ack_fallback is True


_PUBLISHERS = {"publish_to_user", "publish_to_users", "send_to_user_now"}


def _literal_types_published_in(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name in _PUBLISHERS and len(node.args) >= 2:
            arg = node.args[1]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((arg.value, node.lineno))
    return found


def test_every_type_spelled_out_by_publishing_code_is_declared():
    base = Path(settings.BASE_DIR)
    undeclared = []
    for path in base.glob("*/**/*.py"):
        rel = path.relative_to(base)
        if rel.parts[0] in {".venv", "node_modules", "frontend", "bench"} or "tests" in rel.parts:
            continue
        for event_type, line in _literal_types_published_in(path):
            if event_type not in CATALOGUE:
                undeclared.append(f"{rel}:{line} {event_type}")
    assert undeclared == []


def test_exports_are_fresh():
    # Fails after a catalogue change until `manage.py events_catalogue` (and then
    # `npm run gen:events`, checked by the frontend tests) is run and committed.
    call_command("events_catalogue", "--check")


def test_the_json_schema_maps_every_type_to_its_payload():
    schema = catalogue.json_schema()
    event_map = schema["$defs"]["EventMap"]["properties"]
    assert set(event_map) == set(CATALOGUE)
    assert event_map[BOOKING_CANCELLED] == {"$ref": "#/$defs/BookingCancelledPayload"}
    assert "full_refund" in schema["$defs"]["BookingCancelledPayload"]["required"]
