"""Celery app. The broker is Redis when REDIS_URL is set, else a local file-system broker."""

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.dev")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Task outcomes for /metrics (project/metrics.py).
from project.metrics import connect_celery_signals  # noqa: E402

connect_celery_signals()


def release_connections(sender: Any = None, **kwargs: Any) -> None:
    """Around each task a worker runs, what Django does around each request: a connection
    that failed or outlived CONN_MAX_AGE is closed, a pooled one goes back to its pool.
    Celery's own fixup would close the pool itself (settings: CELERY_DB_REUSE_MAX)."""
    # An eager task runs inside its caller (a request, a test), maybe in its transaction.
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


signals.task_prerun.connect(release_connections, weak=False)
signals.task_postrun.connect(release_connections, weak=False)
