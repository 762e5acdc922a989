"""Schemathesis checks shared by the fuzz test and bench/bench_fuzz_api.py."""

from __future__ import annotations


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
