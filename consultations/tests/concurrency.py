"""Race tests: run calls at the same instant, each thread on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connections

from project.api_errors import Conflict


def run_concurrently(
    calls: Sequence[Callable[[], object]], *, ok: str = "ok", conflict: str | None = None
) -> list[str]:
    """Each call's outcome, in order: `ok`, a Conflict's code (or `conflict` when given, for
    tests that only care that the service refused), or the unexpected error's repr."""
    barrier = threading.Barrier(len(calls))
    outcomes = [""] * len(calls)

    def worker(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[i] = ok
        except Conflict as exc:
            outcomes[i] = conflict or exc.code
        except Exception as exc:  # surfaced by the callers' assertions
            outcomes[i] = f"error: {exc!r}"
        finally:
            # Each thread opened its own connection; leaving it open would block test DB teardown.
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes
