"""project.broker: kombu's Redis transport keeping one redis-py client per channel."""

from __future__ import annotations

import os
import uuid

import pytest
from kombu import Connection

from project.broker import Transport

REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")


@pytest.fixture
def connection():
    prefix = f"broker-test-{uuid.uuid4().hex}:"
    conn = Connection(REDIS, transport=Transport, transport_options={"global_keyprefix": prefix})
    yield conn
    client = conn.default_channel._create_client()
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    conn.release()


def test_a_channel_reuses_its_client_until_its_pool_is_replaced(connection):
    channel = connection.default_channel
    with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
        assert first is second
    channel._disconnect_pools()  # what closing the channel after a lost connection does
    with channel.conn_or_acquire() as third:
        assert third is not first and third.connection_pool is channel.pool


def test_messages_are_delivered_once_and_acknowledged(connection):
    queue = connection.SimpleQueue(f"q-{uuid.uuid4().hex}")
    try:
        for n in range(3):
            queue.put({"n": n})
        got = []
        for _ in range(3):
            message = queue.get(timeout=5)
            got.append(message.payload["n"])
            message.ack()
        assert sorted(got) == [0, 1, 2]
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.2)
        channel = queue.channel
        with channel.conn_or_acquire() as client:
            assert client.hlen(channel.unacked_key) == 0  # nothing left to redeliver
    finally:
        queue.close()
