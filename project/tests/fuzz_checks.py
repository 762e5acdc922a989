"""Schemathesis checks shared by the fuzz tests and bench/bench_fuzz_api.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def error_shape(response, case) -> None:
    """Every 4xx is the project's JSON error body (project/api_errors.py).

    Case.validate_response calls checks as (response, case); schemathesis inspects the
    signature, so it must name exactly these parameters (see error_shape_in_runner).
    """
    if not 400 <= response.status_code < 500:
        return None
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        f"{response.status_code} is not JSON: {response.headers.get('Content-Type')}"
    )
    body = response.json
    body = body() if callable(body) else body
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"no error object in {body!r}"
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), error
    fields = error.get("fields")
    assert isinstance(fields, dict), error
    for name, messages in fields.items():
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages), (
            f"fields[{name!r}] = {messages!r}"
        )
    return None


def error_shape_in_runner(ctx, response, case) -> None:
    """error_shape for the schemathesis runner (bench/bench_fuzz_api.py), which passes ctx."""
    return error_shape(response, case)


@contextmanager
def wsgi_schema() -> Iterator[Any]:
    """The API schema loaded from the WSGI app, for in-process fuzz tests (DB fixtures first).

    As Django's test Client does: the real WSGI handler would close the test's connection
    (and its open transaction) at the end of every request, so that signal is off meanwhile.
    """
    import schemathesis
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from project.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def suite_checks() -> tuple[Any, ...]:
    """What every in-suite fuzz answer is checked for: no 5xx, a documented status and
    content type, a body matching the schema, the error shape on 4xx."""
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    return (
        not_a_server_error,
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
        error_shape,
    )
