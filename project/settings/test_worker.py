"""Settings for a REAL Celery worker started by a test (see notifications/tests/test_reminders.py).

Same as the test settings, except that tasks really go through the broker, results come
back through Redis so the test can wait on them, and emails are written to files (the
locmem outbox lives in one process and the test cannot see the worker's).
The test passes DATABASE_URL pointing at its own test database.
"""

import os

from .test import *  # noqa: F403
from .test import BASE_DIR

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_IGNORE_RESULT = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
EMAIL_BACKEND = os.environ.get(
    "WORKER_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "worker-mail"))
# The crash test shortens the wait before a stale claim is retried.
REMINDER_RETRY_AFTER_MINUTES = int(os.environ.get("REMINDER_RETRY_AFTER_MINUTES", "10"))
