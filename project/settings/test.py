"""Tests run against real PostgreSQL and Redis (channels-redis), never the in-memory layer."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/consult")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
# xdist workers share one Redis and number their users alike: give each worker its own
# channel-layer prefix, or one worker's user 7 would hear another worker's user 7.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
_prefix = os.environ.get("CHANNEL_LAYER_PREFIX", "consult-test")
if not _prefix.endswith(f"-{_worker}"):  # subprocesses inherit the already-suffixed value
    os.environ["CHANNEL_LAYER_PREFIX"] = f"{_prefix}-{_worker}"

from .base import *  # noqa: E402, F403
from .base import BASE_DIR  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# Throttle counters must not leak between tests; a per-process cache is cleared by conftest.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Django's test client and Channels' communicator call themselves "testserver".
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
# A published event must match realtime/catalogue.py, or the publishing test fails.
REALTIME_STRICT_EVENTS = True
# Eager Celery would run the unacknowledged-booking fallback at once, before any tab could
# acknowledge; its own tests turn it on.
REALTIME_ACK_TIMEOUT_SECONDS = 0
# Tests that build experts with bulk_create/update (no signals) must see them listed at
# once; consultations/tests/test_expert_list_cache.py turns the cache on.
EXPERT_LIST_CACHE_SECONDS = 0
