"""Celery app. The broker is Redis when REDIS_URL is set, else a local file-system broker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.dev")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Task outcomes for /metrics (project/metrics.py).
from project.metrics import connect_celery_signals  # noqa: E402

connect_celery_signals()
