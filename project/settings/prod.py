"""Production: refuses to start with the default secret key or without real services."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEFAULT_SECRET_KEY, SECRET_KEY, TRUSTED_PROXY_COUNT, env_bool

DEBUG = False
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value in production "
        "(the built-in development key is refused)."
    )
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# HTTPS only: plain-HTTP requests are redirected (the container health check is exempt),
# and browsers are told to use HTTPS for a year. `manage.py check --deploy` is clean;
# project/tests/test_deploy_settings.py runs it.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# X-Forwarded-Proto says "this was HTTPS" only when a TLS proxy in front sets it: trust it
# only with TRUSTED_PROXY_COUNT > 0. With daphne facing clients directly, any client
# could send the header and make a plain-HTTP request look secure.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
