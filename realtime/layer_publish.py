"""Publishing to the Redis pub/sub channel layer in pipelined batches.

channels-redis' pub/sub layer sends each `group_send` as its own PUBLISH round trip, one at
a time per process (a lock per Redis connection). Under load every socket action waited
its turn for that connection. Here the group messages of every action that publishes while
a round trip is in flight are sent together in the next one: one pipelined round trip
carries them all, in the order they were published. Other layers (core, in-memory) and
sharded setups use plain `group_send`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer  # type: ignore[import-untyped]
from channels_redis.serializers import MsgPackSerializer  # type: ignore[import-untyped]

from realtime.groups import user_group

_coalescers: dict[int, _Coalescer] = {}


class _Coalescer:
    def __init__(self, loop_layer: Any) -> None:
        self.loop_layer = loop_layer
        self.pending: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    async def publish(self, channel: str, data: bytes) -> None:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((channel, data, future))
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._drain())
        await future

    async def _drain(self) -> None:
        shard = self.loop_layer._shards[0]
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                async with shard._lock:
                    shard._ensure_redis()
                    pipe = shard._redis.pipeline(transaction=False)
                    for channel, data, _ in batch:
                        pipe.publish(channel, data)
                    await pipe.execute()
            except Exception as exc:  # each waiting publisher gets the error
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, _, future in batch:
                    if not future.done():
                        future.set_result(None)


async def group_send(layer: Any, group: str, message: dict[str, Any]) -> None:
    """`layer.group_send(group, message)`, pipelined with concurrent ones on pub/sub."""
    if not isinstance(layer, RedisPubSubChannelLayer):
        await layer.group_send(group, message)
        return
    loop_layer = layer._get_layer()
    if len(loop_layer._shards) != 1:
        await layer.group_send(group, message)
        return
    coalescer = _coalescers.get(id(loop_layer))
    if coalescer is None or coalescer.loop_layer is not loop_layer:
        coalescer = _coalescers[id(loop_layer)] = _Coalescer(loop_layer)
    await coalescer.publish(loop_layer._get_group_channel_name(group), layer.serialize(message))


def script_channels(redis_url: str) -> Callable[[int], str] | None:
    """user id -> the pub/sub channel of the user's group, for the stream script (on the
    Redis at `redis_url`) to publish on (realtime/stream.py), or None when the channel layer
    cannot take messages published that way: another layer, several shards, another Redis,
    encrypted or prefixed messages."""
    layer = get_channel_layer()
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    serializer = layer._serializer
    if (
        layer._kwargs.get("hosts") != [redis_url]
        or not isinstance(serializer, MsgPackSerializer)
        or serializer.crypter is not None
        or serializer.random_prefix_length
    ):
        return None
    prefix = layer._kwargs.get("prefix", "asgi")
    # As RedisPubSubLoopLayer._get_group_channel_name names a group's channel.
    return lambda user_id: f"{prefix}__group__{user_group(user_id)}"
