"""Long schemathesis run against a live server, as four actors (anonymous, client, expert,
staff): every operation of /api/schema/ with FUZZ_EXAMPLES generated cases per actor.

    .venv/bin/python bench/bench_fuzz_api.py            # 60 examples per operation and actor
    BENCH_QUICK=1 .venv/bin/python bench/bench_fuzz_api.py   # 8

The server is production's HTTP server: gunicorn with deploy/gunicorn.conf.py (threaded
project.workers.HttpWorker, which parses requests before Django does and refuses malformed
ones). FUZZ_SERVER=daphne fuzzes the development server instead; daphne answers the header
values it refuses (\x0b \x0c \x1c-\x1e \x85) with its own HTML page, which no setting
changes, so that run reports them as content-type violations.

Reports (ROW| lines for bin/bench) the number of checked responses, server errors, schema
violations and error-shape violations per actor. The pytest version
(project/tests/test_api_fuzz.py) runs the same checks with a few examples in the suite.
Uses the bench database consult_h9_fuzz (demo data), Redis DB 9 and port 8961.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import hypothesis
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.runner import events, from_schema

from bench.common import (
    PYTHON,
    ROOT,
    bench_env,
    create_database,
    emit,
    log,
    start_daphne,
    start_gunicorn_http,
)
from project.tests.fuzz_checks import error_shape_in_runner

DB = "consult_h9_fuzz"
PORT = 8961
QUICK = os.environ.get("BENCH_QUICK", "0") == "1"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8" if QUICK else "60"))
SERVER = os.environ.get("FUZZ_SERVER", "gunicorn")
PASSWORD = "demo-pass-2026"
ACTORS = {
    "anon": None,
    "client": "client@demo.consult",
    "expert": "amelie.laurent@demo.consult",
    "staff": "admin@demo.consult",
}
CHECKS = (
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    error_shape_in_runner,
)


def _token(base: str, email: str | None) -> str | None:
    if email is None:
        return None
    r = httpx.post(f"{base}/api/v1/auth/login/", json={"email": email, "password": PASSWORD})
    r.raise_for_status()
    return r.json()["token"]


def main() -> int:
    import subprocess

    create_database(DB)
    subprocess.run([PYTHON, "manage.py", "load_demo_data"], cwd=ROOT, env=bench_env(DB), check=True)
    # The fuzzer logs in and sends many requests from one address: lift the throttles.
    unthrottled = {
        "CHAT_RATE_LIMIT_PER_MINUTE": "100000",
        "WS_FRAMES_PER_SECOND": "100000",
        "LOGIN_MAX_FAILURES": "100000",
    }
    if SERVER == "daphne":
        server = start_daphne(PORT, DB, extra_env=unthrottled)
    else:
        server = start_gunicorn_http(PORT, DB, workers=2, extra_env=unthrottled)
    log(f"fuzzing {SERVER} on port {PORT}")
    base = f"http://127.0.0.1:{PORT}"
    total_bad = 0
    try:
        schema = schemathesis.from_uri(f"{base}/api/schema/", base_url=base)
        for actor, email in ACTORS.items():
            token = _token(base, email)
            headers = {"Authorization": f"Token {token}"} if token else {}
            settings = hypothesis.settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            runner = from_schema(
                schema, checks=CHECKS, headers=headers, hypothesis_settings=settings, seed=13
            )
            started = time.monotonic()
            calls = 0
            failures: Counter[str] = Counter()
            operations = 0
            for event in runner.execute():
                if isinstance(event, events.AfterExecution):
                    operations += 1
                    for check in event.result.checks:
                        if check.name == "not_a_server_error":
                            calls += 1
                        if check.value.name == "failure":
                            failures[check.name] += 1
                            status = check.response.status_code if check.response else "-"
                            detail = getattr(check.context, "message", "") or ""
                            detail = detail.replace("\n", " | ")[:200]
                            log(
                                f"{actor} {event.verbose_name} [{status}]: {check.name}: "
                                f"{check.message} {detail}"
                            )
                    for error in event.result.errors:
                        failures["error"] += 1
                        log(f"{actor} {event.verbose_name}: error {error.exception}")
            took = time.monotonic() - started
            bad = sum(failures.values())
            total_bad += bad
            emit(
                "fuzz_api",
                actor,
                "checked responses",
                calls,
                "",
                operations=operations,
                examples_per_operation=EXAMPLES,
                seconds=round(took),
            )
            emit("fuzz_api", actor, "server errors", failures["not_a_server_error"])
            emit(
                "fuzz_api",
                actor,
                "schema violations",
                failures["response_schema_conformance"] + failures["content_type_conformance"],
            )
            emit("fuzz_api", actor, "error-shape violations", failures["error_shape_in_runner"])
            emit("fuzz_api", actor, "runner errors", failures["error"])
    finally:
        server.stop()
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
