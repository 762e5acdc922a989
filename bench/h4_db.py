"""A throw-away database for the scheduling/booking benchmarks (helper h4's isolation).

Django's own test-database utilities create test_consult_h4_bench (migrated, including the
exclusion constraint) and destroy it afterwards, so a run leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL_BASE = os.environ.get("BENCH_PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("H4_BENCH_DB", "consult_h4_bench")


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings.dev"
    os.environ["DATABASE_URL"] = f"{PG_URL_BASE}/{DB_NAME}"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Live events go to an in-process channel layer: nobody listens in a benchmark.
    os.environ.pop("REDIS_URL", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def mute_domain_signals() -> None:
    """Detach the notifications app's listeners: these benchmarks time the booking
    transaction, not e-mail fan-out (whose Celery broker isn't running here)."""
    from consultations import signals

    for signal in (signals.consultation_created, signals.consultation_status_changed):
        signal.receivers = []
        signal.sender_receivers_cache.clear()


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """Create test_<DB_NAME>, yield its name, destroy it (also on errors)."""
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
