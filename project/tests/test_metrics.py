"""/metrics: Prometheus text with request latency by view, sockets, events and chat sends."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from project.metrics import CELERY_TASKS, count_celery_task

pytestmark = pytest.mark.django_db


def test_metrics_expose_request_latency_by_view_and_the_realtime_counters(client_for, user):
    api = client_for(user)
    assert api.get("/api/v1/auth/me/").status_code == 200
    body = Client().get("/metrics")
    assert body.status_code == 200
    assert body["Content-Type"].startswith("text/plain")
    text = body.content.decode()
    assert 'consult_http_request_duration_seconds_count{method="GET",status="200",view="' in text
    for name in (
        "consult_ws_open_sockets",
        "consult_ws_actions_in_flight",
        "consult_ws_action_duration_seconds",
        "consult_realtime_events_published_total",
        "consult_realtime_events_dropped_total",
        "consult_chat_messages_total",
        "consult_celery_tasks_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text


def test_invented_methods_share_one_label(client_for, user):
    # Any uppercase word reaches Django as the method; each must not become its own series.
    api = client_for(user)
    for method in ("XYZZY", "BREW", "PROPFIND"):
        api.generic(method, "/api/v1/auth/me/")
    text = Client().get("/metrics").content.decode()
    assert 'method="other"' in text
    for method in ("XYZZY", "BREW", "PROPFIND"):
        assert f'method="{method}"' not in text


def test_chat_sends_are_counted(client_for, user, make_user):
    from chat.models import ExpertChatConversation
    from consultations.models import Expert

    owner = make_user()
    expert = Expert.objects.create(
        user=owner, name="E", verification_status=Expert.VerificationStatus.APPROVED
    )
    conversation = ExpertChatConversation.objects.create(user=user, expert=expert)
    before = REGISTRY.get_sample_value("consult_chat_messages_total", {"outcome": "stored"}) or 0
    response = client_for(user).post(
        f"/api/v1/consultations/chat/{conversation.pk}/send/", {"text": "hi", "client_id": "a"}
    )
    assert response.status_code == 201
    client_for(user).post(
        f"/api/v1/consultations/chat/{conversation.pk}/send/", {"text": "hi", "client_id": "a"}
    )
    after = REGISTRY.get_sample_value("consult_chat_messages_total", {"outcome": "stored"})
    assert after == before + 1
    assert REGISTRY.get_sample_value("consult_chat_messages_total", {"outcome": "duplicate"}) >= 1


def test_celery_task_outcomes_are_counted():
    class Task:
        name = "demo.task"

    count_celery_task("failure")(sender=Task())
    assert CELERY_TASKS.labels("demo.task", "failure")._value.get() >= 1
