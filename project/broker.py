"""Celery's Redis transport with one redis-py client per channel, not one per command.

kombu's Redis channel builds a new `redis.Redis` around its connection pool for every
publish, queue lookup and acknowledgement, and redis-py copies its ~160 response callbacks
into each new client: a sixth of the Celery worker's main-process CPU per task (it stores and
acknowledges every message) and two constructions per publish in the request (py-spy,
issue 12). A redis-py client is safe to share (each command takes a connection from the
pool), so the channel keeps one, rebuilt if the channel's pool is replaced (after a
reconnect). Selected by CELERY_BROKER_TRANSPORT (project/settings/base.py).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _sync_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        if client is None or client.connection_pool is not self.pool:
            client = self._sync_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
