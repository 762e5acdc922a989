"""Prometheus metrics, served at /metrics (see the README's "Metrics" section).

Several processes (HTTP workers, socket workers, Celery workers) each count their own.
When PROMETHEUS_MULTIPROC_DIR is set (bin/run and docker-compose set it, one directory per
machine or container, emptied at start), every process writes its figures there and
/metrics, answered by any of them, adds them all up. Without it, /metrics shows the one
process that answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

HTTP_LATENCY = Histogram(
    "consult_http_request_duration_seconds",
    "Time to answer an HTTP request, by Django view (route name) and method.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OPEN_SOCKETS = Gauge(
    "consult_ws_open_sockets",
    "Authenticated /ws/ sockets open now.",
    multiprocess_mode="livesum",
)
WS_ACTIONS_IN_FLIGHT = Gauge(
    "consult_ws_actions_in_flight",
    "Socket actions (chat.send, chat.read, ...) received and not yet answered: grows when "
    "the socket processes or the database fall behind the offered load.",
    multiprocess_mode="livesum",
)
WS_ACTION_LATENCY = Histogram(
    "consult_ws_action_duration_seconds",
    "Time from receiving a socket action to its reply, by action type.",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENTS_PUBLISHED = Counter(
    "consult_realtime_events_published_total",
    "Events handed to the channel layer, one per recipient user.",
    ["type"],
)
EVENTS_DELIVERED = Counter(
    "consult_realtime_events_delivered_total",
    "Events written to a socket.",
    ["type"],
)
EVENTS_DROPPED = Counter(
    "consult_realtime_events_dropped_total",
    "Events not delivered live: `lag` (the socket's process fell behind; the socket was "
    "told to resume) or `publish_error` (the channel layer refused them).",
    ["reason"],
)
SOCKET_RESYNCS = Counter(
    "consult_ws_resyncs_total",
    "Sockets closed with 4408 so that the client reconnects and resumes after a backlog.",
)
CLIENTS_GONE = Counter(
    "consult_ws_clients_gone_total",
    "Sockets whose client left while a reply or event was being sent to it (dropped; the "
    "client resumes on reconnect).",
)
WS_FRAMES_LIMITED = Counter(
    "consult_ws_frames_rate_limited_total",
    "Socket frames refused with `rate_limited` because their socket was past its budget "
    "(WS_FRAMES_PER_SECOND, WS_FRAME_BURST).",
)
WS_SOCKETS_REFUSED = Counter(
    "consult_ws_sockets_refused_total",
    "Sockets closed with 4429 at connect because their user already held "
    "WS_MAX_SOCKETS_PER_USER in that process.",
)
CHAT_SENDS = Counter(
    "consult_chat_messages_total",
    "Chat sends by outcome: `stored` (new message), `duplicate` (a retry answered with the "
    "stored message), `rate_limited`.",
    ["outcome"],
)
CELERY_TASKS = Counter(
    "consult_celery_tasks_total",
    "Celery tasks finished, by task name and outcome (success, failure, retry).",
    ["task", "outcome"],
)


_Metric = TypeVar("_Metric", Counter, Gauge, Histogram)
_children: dict[tuple[int, tuple[str, ...]], Any] = {}


def labelled(metric: _Metric, *values: str) -> _Metric:
    """`metric.labels(*values)`, kept: labels() checks and locks on every call, which was
    a few per cent of a socket process's CPU per chat message when called per event.
    For label values from a bounded set (event types, outcomes), never user input."""
    key = (id(metric), values)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*values)
    return cast(_Metric, child)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if MULTIPROCESS:
        registry = CollectorRegistry()
        # prometheus_client leaves this constructor unannotated (the only untyped call here).
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


# The method is the client's own token (gunicorn passes any uppercase word): a label per
# invented method would grow the registry, and /metrics, without bound.
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


class RequestMetricsMiddleware:
    """Times every request; labels it by the resolved route name (bounded), never the path."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "unmatched"
        if view == "metrics":
            return response
        method = request.method if request.method in _KNOWN_METHODS else "other"
        # Every label is bounded now (routes, methods, our own status codes): cached.
        labelled(HTTP_LATENCY, view, method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


def count_celery_task(outcome: str) -> Callable[..., None]:
    def receiver(sender: Any = None, **kwargs: Any) -> None:
        name = getattr(sender, "name", None) or str(sender)
        CELERY_TASKS.labels(name, outcome).inc()

    return receiver


def serve_worker_metrics(**kwargs: Any) -> None:
    """In a Celery worker's main process with CELERY_METRICS_PORT set (docker-compose: its
    container has its own metrics folder), serve the worker's figures for scraping."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return
    from prometheus_client import REGISTRY, start_http_server

    registry = REGISTRY
    if MULTIPROCESS:
        registry = CollectorRegistry()
        # prometheus_client leaves this constructor unannotated (the only untyped call here).
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(int(port), registry=registry)


def connect_celery_signals() -> None:
    from celery import signals

    signals.task_success.connect(count_celery_task("success"), weak=False)
    signals.task_failure.connect(count_celery_task("failure"), weak=False)
    signals.task_retry.connect(count_celery_task("retry"), weak=False)
    signals.worker_ready.connect(serve_worker_metrics, weak=False)
