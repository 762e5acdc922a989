"""Settings shared by every environment; everything deployment-specific comes from env vars."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CONSULT_VAR_DIR", BASE_DIR / "var"))

DEFAULT_SECRET_KEY = "insecure-dev-key-change-me"  # prod.py refuses to start with this


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# API paths answer a CSRF refusal in the JSON error shape, other paths with Django's page.
CSRF_FAILURE_VIEW = "project.api_errors.csrf_failure_view"

# Reverse proxies in front of daphne. X-Forwarded-For (client address for throttles) and
# X-Forwarded-Proto are trusted only from them: TRUSTED_PROXY_COUNT hops (0 = daphne faces
# clients, the headers are ignored), optionally only when the peer is in TRUSTED_PROXIES
# (comma-separated addresses or CIDR networks). See project/client_ip.py.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
# Per-account login limit: after this many failed logins within the window (counted from
# the first failure) the account's logins answer 429 with Retry-After.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "10"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "channels",
    "accounts",
    "realtime",
    "consultations",
    "chat",
    "notifications",
    "integrations",
]

MIDDLEWARE = [
    "project.metrics.RequestMetricsMiddleware",
    "project.middleware.ChunkedBodyMiddleware",  # before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Without DATABASE_URL we fall back to SQLite so `bin/run` works on a bare laptop.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# With DB_CONN_MAX_AGE > 0 (recommended behind daphne: each socket action would otherwise
# open a connection), a connection that died meanwhile is replaced instead of failing.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# DB_POOL_SIZE > 0 (PostgreSQL only): each process keeps a psycopg connection pool of at
# most that many connections instead of one connection per thread. Every process is then
# bounded (processes x DB_POOL_SIZE <= max_connections, see the README's Production
# topology), requests never pay a connect, and a burst waits for a free connection (up to
# DB_POOL_TIMEOUT seconds) instead of ending in "too many clients". Replaces CONN_MAX_AGE.
DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "0"))
if DB_POOL_SIZE > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_SIZE),
        "max_size": DB_POOL_SIZE,
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        "max_idle": 300,
    }
else:
    DB_POOL_SIZE = 0
# Threads that run WebSocket actions (chat.send, chat.read, ...) in each socket process: as
# many as the pool has connections, so no action waits for a connection while holding a
# thread (realtime/executor.py). Without a pool each thread keeps its own connection.
REALTIME_THREADS = int(os.environ.get("REALTIME_THREADS", str(DB_POOL_SIZE or 8)))
# Hot statements (the chat send's) are prepared once per connection: PostgreSQL planned
# them on every send (project/prepared.py). Off behind a PgBouncer that cannot keep them.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# The built SPA (frontend/dist) is served from the site root by whitenoise.
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
WHITENOISE_ROOT = FRONTEND_DIST if FRONTEND_DIST.exists() else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploads are never served from a public URL; only authorised views stream them.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "private-media"))
MEDIA_URL = "/media-not-public/"

REDIS_URL = os.environ.get("REDIS_URL", "")

# The channel layer (README "Realtime", bench/README.md for the figures): Redis pub/sub by
# default. It delivers a group_send as one PUBLISH straight to the processes holding the
# sockets, with no per-message queue in Redis to poll, expire or overflow: about half the
# latency of the list-based core layer on this box, and nothing is ever deleted unseen. A
# process that falls behind is caught by the consumer's lag check (realtime/consumers.py),
# which counts, logs and tells the socket to resume. CHANNEL_LAYER=core selects the
# list-based layer (capacity/expiry below apply to it only).
CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "pubsub")
# A socket whose events reach it later than this (its process is behind) is closed with
# 4408; the client reconnects and resumes (chat cursors, page refetch) instead of
# receiving a stale backlog or silently missing what the layer could not hold.
REALTIME_MAX_LAG_SECONDS = float(os.environ.get("REALTIME_MAX_LAG_SECONDS", "10"))
if REDIS_URL:
    _prefix = os.environ.get("CHANNEL_LAYER_PREFIX", "consult")
    if CHANNEL_LAYER == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [REDIS_URL],
                    "prefix": _prefix,
                    # Per process, not per socket: a burst to many sockets of one daphne
                    # queues here. At the default 100 (or 1,500) bursts were dropped silently.
                    "capacity": int(os.environ.get("CHANNEL_LAYER_CAPACITY", "20000")),
                    "expiry": 30,
                },
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [REDIS_URL], "prefix": _prefix},
            }
        }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CHANNEL_LAYER_PREFIX", "consult"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    # Token first: a request carrying `Authorization: Token` is decided by the token alone
    # and never needs CSRF, even when it also sends a session cookie (accounts/authentication).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "project.parsers.JSONParser",  # nesting limited to JSON_MAX_DEPTH
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "project.pagination.PageNumberPagination",  # bad page: 400
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "project.api_errors.exception_handler",
    # DRF throttles key anonymous callers on project.client_ip (see TRUSTED_PROXY_COUNT).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "auth": "30/min",
        "password_reset": os.environ.get("PASSWORD_RESET_RATE", "10/hour"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Consult API",
    "DESCRIPTION": "Expert consultations: experts, verification, availability, booking, "
    "meetings, chat and notifications. Live events arrive on the /ws/ WebSocket.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the 400/403/404 it can answer, in the shared error shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "project.api_schema.document_common_errors",
        "project.api_schema.add_links",  # the main flows, followed by the stateful fuzz test
    ],
    # Several models have a `status` field; name each choice set instead of hashing it.
    "ENUM_NAME_OVERRIDES": {
        "ExpertApplicationStatusEnum": "consultations.models.ExpertApplication.Status",
        "ConsultationStatusEnum": "consultations.models.Consultation.Status",
        "UnavailabilityKindEnum": "consultations.models.ExpertUnavailability.Kind",
        "ExpertStatusEnum": "consultations.models.Expert.VerificationStatus",
        "ChatMessageKindEnum": ["text", "image", "file"],
    },
}

# Celery: Redis when REDIS_URL is set; otherwise a broker on the local file system
# so the worker and beat still run with no server at all.
if REDIS_URL:
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
    # kombu's Redis transport, keeping one redis-py client per channel (project/broker.py).
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        CELERY_BROKER_TRANSPORT = "project.broker:Transport"
else:
    _broker_dir = VAR_DIR / "celery-broker"
    # The file-system transport fails on every publish if its folders are missing.
    for _folder in (_broker_dir, VAR_DIR / "celery-processed"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup (5.7) closes every database connection before and after each task
# and, with DB_POOL_SIZE, the whole pool, so each task connected to PostgreSQL afresh (the
# pool's min_size connections) and lost the prepared statements: more of the worker's CPU
# per booking than the booking's follow-ups themselves (celery/celery#10554, open). With a
# reuse count the fixup recycles them only every that many tasks; in between,
# project/celery.py hands the connection back to the pool after each task, as Django does
# after each request, so a broken one is still dropped.
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "send-consultation-reminders": {
        "task": "notifications.tasks.send_consultation_reminders",
        "schedule": timedelta(minutes=5),
    },
    "check-upcoming-consultations": {
        "task": "notifications.tasks.check_upcoming_consultations",
        "schedule": timedelta(minutes=15),
    },
    "cleanup-old-meetings": {
        "task": "consultations.tasks.cleanup_old_meetings",
        "schedule": crontab(minute="*/30"),
    },
    "refresh-next-available": {
        "task": "consultations.tasks.refresh_next_available",
        "schedule": timedelta(minutes=5),
    },
    "sync-external-calendars": {
        "task": "integrations.tasks.sync_external_calendars",
        "schedule": timedelta(minutes=15),
    },
    "retry-webhook-deliveries": {
        "task": "integrations.tasks.retry_webhook_deliveries",
        "schedule": timedelta(minutes=1),
    },
    "compute-reliability": {
        "task": "consultations.tasks.compute_reliability",
        "schedule": crontab(minute=40),
    },
    # Booking changes no tab acknowledged: their checks wait in Redis until due
    # (realtime/delivery.py, DUE_SWEEP_SECONDS).
    "sweep-due-deliveries": {
        "task": "realtime.tasks.sweep_due_deliveries",
        "schedule": timedelta(seconds=10),
    },
    "purge-idempotency-keys": {
        "task": "consultations.tasks.purge_idempotency_keys",
        "schedule": crontab(hour=3, minute=17),
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Consult <no-reply@consult.local>")
# Password-reset links work once, and for this long (Django's token generator).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", 2 * 3600))
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Jitsi
JITSI_DOMAIN = os.environ.get("JITSI_DOMAIN", "meet.jit.si")
JITSI_APP_ID = os.environ.get("JITSI_APP_ID", "")
JITSI_SECRET = os.environ.get("JITSI_SECRET", "")
JITSI_USE_JWT = env_bool("JITSI_USE_JWT", False)
JITSI_JOIN_BEFORE_MINUTES = int(os.environ.get("JITSI_JOIN_BEFORE_MINUTES", "10"))
JITSI_GRACE_AFTER_MINUTES = int(os.environ.get("JITSI_GRACE_AFTER_MINUTES", "30"))

# Integrations (calendar feeds, webhooks): outbound HTTP to user-given URLs.
# Private/loopback/link-local targets are refused unless this is on (tests, local dev).
INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = env_bool("INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES", False)
# Plain http:// targets (otherwise https only), for local testing.
INTEGRATIONS_ALLOW_HTTP = env_bool("INTEGRATIONS_ALLOW_HTTP", False)
INTEGRATIONS_HTTP_TIMEOUT = float(os.environ.get("INTEGRATIONS_HTTP_TIMEOUT", "10"))
INTEGRATIONS_FEED_MAX_BYTES = int(os.environ.get("INTEGRATIONS_FEED_MAX_BYTES", 5 * 1024 * 1024))
INTEGRATIONS_WEBHOOK_TIMEOUT = float(os.environ.get("INTEGRATIONS_WEBHOOK_TIMEOUT", "10"))

# Uploads and chat limits
VERIFICATION_UPLOAD_MAX_BYTES = int(
    os.environ.get("VERIFICATION_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
)
# Approximate exchange rates for comparing expert prices in one display currency
# (consultations/services/currency.py): the worth of one unit of each currency in
# CURRENCY_BASE. Only used to sort, filter and show "≈" prices; bookings are priced in the
# expert's own currency. Override with a JSON object, e.g. CURRENCY_RATES='{"EUR": 1.1}'
# (it replaces the whole table).
CURRENCY_BASE = os.environ.get("CURRENCY_BASE", "USD")
CURRENCY_RATES: dict[str, float] = json.loads(os.environ.get("CURRENCY_RATES", "null")) or {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "CHF": 1.13,
    "CAD": 0.73,
    "AUD": 0.66,
    "NZD": 0.60,
    "JPY": 0.0067,
    "CNY": 0.14,
    "INR": 0.012,
    "SGD": 0.74,
    "BRL": 0.18,
    "MXN": 0.055,
    "SEK": 0.095,
    "NOK": 0.093,
    "DKK": 0.145,
    "PLN": 0.25,
    "CZK": 0.043,
    "ZAR": 0.055,
    "AED": 0.27,
}
# Largest expert photo upload; it is re-encoded to small WebP files (services.expert_photo).
EXPERT_PHOTO_MAX_BYTES = int(os.environ.get("EXPERT_PHOTO_MAX_BYTES", 5 * 1024 * 1024))
CHAT_MESSAGE_MAX_LENGTH = int(os.environ.get("CHAT_MESSAGE_MAX_LENGTH", "4000"))
CHAT_ATTACHMENT_MAX_BYTES = int(os.environ.get("CHAT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
CHAT_RATE_LIMIT_PER_MINUTE = int(os.environ.get("CHAT_RATE_LIMIT_PER_MINUTE", "60"))
# Seconds between two "is typing" signals of one user in one conversation.
CHAT_TYPING_THROTTLE_SECONDS = int(os.environ.get("CHAT_TYPING_THROTTLE_SECONDS", "3"))
# Most messages one resume request returns; the client resumes again while `has_more`.
CHAT_RESUME_MAX_MESSAGES = int(os.environ.get("CHAT_RESUME_MAX_MESSAGES", "500"))
# At most one "new chat message" email per recipient and conversation in this window.
CHAT_EMAIL_THROTTLE_SECONDS = int(os.environ.get("CHAT_EMAIL_THROTTLE_SECONDS", str(15 * 60)))
# The offline chat email waits this long, then says how many messages are unread.
CHAT_EMAIL_DELAY_SECONDS = int(os.environ.get("CHAT_EMAIL_DELAY_SECONDS", "120"))

# Reminders: a row still "claimed" after this many minutes is retried (its sender died);
# a reminder is given up after this many attempts.
REMINDER_RETRY_AFTER_MINUTES = float(os.environ.get("REMINDER_RETRY_AFTER_MINUTES", "10"))
REMINDER_MAX_ATTEMPTS = int(os.environ.get("REMINDER_MAX_ATTEMPTS", "5"))

# Domain of calendar invite UIDs; empty means the host name of SITE_URL.
CALENDAR_UID_DOMAIN = os.environ.get("CALENDAR_UID_DOMAIN", "")

# Untrusted input limits (REST bodies and /ws/ frames): nesting depth of JSON documents,
# the largest /ws/ text frame, and how long presence lives without a socket heartbeat.
JSON_MAX_DEPTH = int(os.environ.get("JSON_MAX_DEPTH", "32"))
WS_MAX_FRAME_BYTES = int(os.environ.get("WS_MAX_FRAME_BYTES", 64 * 1024))
# Frames one socket may send per second, and in a burst (realtime/frame_budget.py).
WS_FRAMES_PER_SECOND = float(os.environ.get("WS_FRAMES_PER_SECOND", "20"))
WS_FRAME_BURST = float(os.environ.get("WS_FRAME_BURST", "60"))
# Sockets one user may hold open in one socket process (tabs); the next is closed with 4429.
WS_MAX_SOCKETS_PER_USER = int(os.environ.get("WS_MAX_SOCKETS_PER_USER", "32"))
PRESENCE_TTL_SECONDS = int(os.environ.get("PRESENCE_TTL_SECONDS", "90"))
# Public expert-list pages are cached this long in the shared cache, and dropped at once
# when an expert, their hours, areas or languages change (consultations/expert_list_cache.py).
# 0 turns the cache off.
EXPERT_LIST_CACHE_SECONDS = int(os.environ.get("EXPERT_LIST_CACHE_SECONDS", "10"))

# Realtime (realtime/): an event that realtime/catalogue.py does not declare, or whose data
# does not fit its model, raises when strict (dev, tests) and is logged in production.
REALTIME_STRICT_EVENTS = env_bool("REALTIME_STRICT_EVENTS", False)
# The per-user event stream (realtime/stream.py): how many events and how old a history a
# reconnecting tab can be replayed; past that it refetches. The stream's offset and epoch
# outlive the history by REALTIME_STREAM_META_TTL_SECONDS.
REALTIME_STREAM_MAXLEN = int(os.environ.get("REALTIME_STREAM_MAXLEN", "1000"))
REALTIME_STREAM_MAX_AGE_SECONDS = int(os.environ.get("REALTIME_STREAM_MAX_AGE_SECONDS", "86400"))
REALTIME_STREAM_MAX_REPLAY = int(os.environ.get("REALTIME_STREAM_MAX_REPLAY", "1000"))
REALTIME_STREAM_META_TTL_SECONDS = int(
    os.environ.get("REALTIME_STREAM_META_TTL_SECONDS", str(30 * 24 * 3600))
)
# A booking change no tab acknowledged within this many seconds is emailed (0: never).
REALTIME_ACK_TIMEOUT_SECONDS = float(os.environ.get("REALTIME_ACK_TIMEOUT_SECONDS", "120"))

DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
