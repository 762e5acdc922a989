"""Tests run against real PostgreSQL and Redis (channels-redis), never the in-memory layer."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/consult")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
# xdist workers share one Redis: give each its own channel-layer prefix.
os.environ.setdefault(
    "CHANNEL_LAYER_PREFIX", f"consult-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
)

from .base import *  # noqa: F403
from .base import BASE_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# Throttle counters must not leak between tests; a per-process cache is cleared by conftest.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
