"""The redis-py client behind the default cache, one per process, for hot paths.

Django's RedisCache builds a new `redis.Redis` object around its connection pool for every
cache call. On the chat send path (rate limit, the offline check) that construction alone
was ~3 % of a socket process's CPU at saturation (py-spy, bench_core). A redis-py client is
thread-safe (each command takes a connection from the pool), so one per process serves all
threads. Keys and values are the cache's own: `make_key` adds the cache's prefix and
version, and the cache stores integers as plain Redis integers.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def cache_redis() -> Any | None:
    """The shared client for the default cache's (first, writable) server, or None when
    the default cache is not Redis."""
    if not isinstance(caches["default"], RedisCache):
        return None
    location = settings.CACHES["default"]["LOCATION"]
    servers = location.split(",") if isinstance(location, str) else list(location)
    url = str(servers[0]).strip()
    client = _clients.get(url)
    if client is None:
        import redis

        with _lock:
            client = _clients.setdefault(url, redis.Redis.from_url(url))
    return client


def make_key(key: str) -> str:
    return caches["default"].make_key(key)


def _forget(setting: str, **kwargs: Any) -> None:
    if setting == "CACHES":
        _clients.clear()


setting_changed.connect(_forget)
