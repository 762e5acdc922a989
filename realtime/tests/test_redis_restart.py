"""A Redis restart under connected sockets: the server recovers and clients lose nothing.

The channel layer runs on a private redis-server (port 6390) that this test starts,
restarts and stops itself, so the shared Redis is never touched. Redis keeps no data
across the restart (no persistence), which is the harsh case: every group membership
is gone. A socket must then either keep receiving, or be closed so that its client
reconnects and resumes from its cursor; silently staying open and deaf is the failure.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections

from chat import services
from chat.models import ExpertChatConversation
from consultations.tests.factories import make_expert
from realtime.events import stop_publisher
from realtime.testing import connect_ws

pytestmark = [pytest.mark.django_db(transaction=True)]

PORT = 6390


def _wait_port(port: int, up: bool, timeout: float = 10) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            is_up = s.connect_ex(("127.0.0.1", port)) == 0
        if is_up == up:
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'}")


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, up=True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        _wait_port(self.port, up=False)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(PORT)
    redis.start()
    # Changing CHANNEL_LAYERS makes channels drop its cached layer and build one on this Redis.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis.url], "prefix": "restart-test", "capacity": 1500},
        }
    }
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def pair(make_user):
    client = make_user(first_name="Cleo", last_name="Client")
    expert = make_expert(make_user(first_name="Eli", last_name="Expert"))
    conversation, _ = services.get_or_create_conversation(user=client, expert_id=expert.pk)
    return client, expert.user, conversation


@database_sync_to_async
def send(sender, conversation: ExpertChatConversation, text: str) -> int:
    return services.send_message(
        sender=sender, conversation_id=conversation.pk, text=text, client_id=text
    ).message.seq


async def drain(comm, timeout: float) -> tuple[list[dict[str, Any]], bool]:
    """chat.message events until `timeout` of silence; False if the socket was closed."""
    events: list[dict[str, Any]] = []
    while True:
        try:
            if await comm.receive_nothing(timeout=timeout):
                return events, True
            output = await comm.receive_output(timeout=1)
        except Exception:  # the consumer crashed: to the client that is a closed socket
            return events, False
        if output["type"] == "websocket.close":
            return events, False
        event = json.loads(output["text"])
        if event["type"] == "chat.message":
            events.append(event)


async def resume(comm, conversation_id: int, last_seq: int) -> list[dict[str, Any]]:
    await comm.send_json_to(
        {"type": "chat.resume", "request_id": "r", "data": {"cursors": {conversation_id: last_seq}}}
    )
    while True:
        event = await comm.receive_json_from(timeout=5)
        if event["type"] == "chat.resume.ok":
            return event["data"]["messages"]


async def test_clients_resume_without_loss_after_a_redis_restart(private_redis, pair):
    client, expert_user, conversation = pair
    comm = await connect_ws(client)
    seen: list[int] = []
    try:
        await send(expert_user, conversation, "m1")
        events, alive = await drain(comm, timeout=1)
        seen += [e["data"]["seq"] for e in events]
        assert seen == [1] and alive

        private_redis.restart()
        await send(expert_user, conversation, "m2")
        await send(expert_user, conversation, "m3")

        events, alive = await drain(comm, timeout=2)
        seen += [e["data"]["seq"] for e in events]
        if not alive:
            # What a client does on a closed socket: reconnect, then resume from its cursor.
            comm = await connect_ws(client)
            missed = await resume(comm, conversation.pk, seen[-1])
            seen += [m["seq"] for m in missed]
        assert seen == [1, 2, 3], "a live socket went deaf after the restart" if alive else seen

        # The server works normally again: a new message arrives live, once.
        await send(expert_user, conversation, "m4")
        events, alive = await drain(comm, timeout=1)
        assert [e["data"]["seq"] for e in events] == [4] and alive
    finally:
        try:
            await comm.disconnect()
        except (Exception, asyncio.CancelledError):
            pass
        # Publishes from sync code (fixtures) went through the publisher loop: close its
        # connections in that loop before closing the rest from this one.
        await sync_to_async(stop_publisher)()
        layer = get_channel_layer()
        if hasattr(layer, "close_pools"):
            await layer.close_pools()
        # The consumer's DB thread keeps its connection; close it so the test DB can be dropped.
        await database_sync_to_async(connections.close_all)()
