"""The one place every app publishes live events through.

Events are sent only after the surrounding database transaction commits
(`transaction.on_commit`), so a client never hears about data that a rollback erased,
and never hears before it could read the data back over REST.

Envelope (version 1): {"v": 1, "type": str, "id": str, "ts": ISO-8601 UTC, "data": {...}}
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.utils import timezone

from project.metrics import EVENTS_DROPPED, EVENTS_PUBLISHED, labelled
from realtime import delivery, layer_publish, stream
from realtime.catalogue import CATALOGUE, InvalidPayload, UndeclaredEvent, validate_payload
from realtime.groups import user_group

logger = logging.getLogger(__name__)

ENVELOPE_VERSION = 1


def make_envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "v": ENVELOPE_VERSION,
        "type": event_type,
        "id": uuid.uuid4().hex,
        "ts": timezone.now().isoformat(),
        "data": data,
    }


async def _group_send_all(layer: Any, user_ids: list[int], envelopes: list[dict[str, Any]]) -> None:
    # "realtime.event" maps to UserConsumer.realtime_event.
    results = await asyncio.gather(
        *(
            layer_publish.group_send(
                layer, user_group(uid), {"type": "realtime.event", "event": envelope}
            )
            for uid, envelope in zip(user_ids, envelopes, strict=True)
        ),
        return_exceptions=True,
    )
    for user_id, result in zip(user_ids, results, strict=True):
        if isinstance(result, BaseException):
            labelled(EVENTS_DROPPED, "publish_error").inc()
            event_type = envelopes[0]["type"]
            logger.error("could not publish %s to user %s: %r", event_type, user_id, result)
        else:
            labelled(EVENTS_PUBLISHED, envelopes[0]["type"]).inc()


def _is_durable(event_type: str) -> bool:
    spec = CATALOGUE.get(event_type)
    return spec is not None and spec.durable


class _Published:
    """One published event and each recipient's copy of it."""

    __slots__ = ("envelope", "envelopes", "sent", "user_ids")

    def __init__(self, user_ids: list[int], envelope: dict[str, Any]) -> None:
        self.user_ids = user_ids
        self.envelope = envelope
        self.envelopes = [envelope] * len(user_ids)  # with offsets once they are known
        self.sent = False  # delivered live by the stream script (no channel-layer send)


def _assign_offsets(published: list[_Published], *, deliver: bool = False) -> None:
    """Give the durable events their offsets in each recipient's stream, all in one
    Redis call and in the order given (so each user's offsets follow publish order).

    With `deliver`, when every event is durable, the same script call also publishes them
    to the channel layer (marked `sent`): one round trip instead of two, and the socket
    process no longer encodes and publishes them itself (realtime/stream.py). A batch with
    an ephemeral event keeps the channel-layer send, which keeps each user's events in
    publish order in one message."""
    durable = [p for p in published if _is_durable(p.envelope["type"])]
    if not durable:
        return
    store = stream.get_store()
    channels = None
    if deliver and isinstance(store, stream.RedisStreamStore) and len(durable) == len(published):
        channels = layer_publish.script_channels(store.url)
    try:
        positions = store.append_batch([(p.user_ids, p.envelope) for p in durable], channels)
    except Exception:
        # Live delivery still goes out; tabs that miss it resync when they see the gap.
        types = ",".join(p.envelope["type"] for p in durable)
        logger.exception("could not append %s to the event streams", types)
        return
    for p, user_positions in zip(durable, positions, strict=True):
        p.envelopes = [
            p.envelope | {"offset": pos.offset, "epoch": pos.epoch} for pos in user_positions
        ]
        if channels is not None:
            p.sent = True
            labelled(EVENTS_PUBLISHED, p.envelope["type"]).inc(len(p.user_ids))


def _watch(published: list[_Published]) -> None:
    for p in published:
        try:
            delivery.watch(p.user_ids, p.envelopes)
        except Exception:
            logger.exception("could not schedule the delivery check of %s", p.envelope["type"])


def _append_to_streams(user_ids: list[int], envelope: dict[str, Any]) -> list[dict[str, Any]]:
    """Each recipient's copy of one event, with its offset if the event is durable."""
    published = _Published(user_ids, envelope)
    _assign_offsets([published])
    return published.envelopes


class _Batch:
    """What one socket action published (see `publish_batched`), in publish order."""

    def __init__(self) -> None:
        self.published: list[_Published] = []
        self._assigned = 0  # published[:_assigned] have their offsets
        self._lock = threading.Lock()

    def add(self, user_ids: list[int], envelope: dict[str, Any]) -> None:
        with self._lock:
            self.published.append(_Published(user_ids, envelope))

    def has_unassigned(self) -> bool:
        return self._assigned < len(self.published)

    def assign_offsets(self) -> None:
        """Stream offsets for everything published since the last call: one round trip."""
        with self._lock:
            todo = self.published[self._assigned :]
            self._assigned = len(self.published)
            if todo:
                _assign_offsets(todo, deliver=True)
                _watch(todo)


# While a socket action runs (see `publish_batched`), events are gathered here instead of
# hopping from the action's thread back into the event loop once per event, and their
# stream appends wait for the end of the action's thread work to share one round trip.
_batch: ContextVar[_Batch | None] = ContextVar("realtime_publish_batch", default=None)


def assign_batched_offsets() -> None:
    """Called by the action threads (realtime/executor.py) when an action's sync work ends:
    the stream appends of everything it published, in one pipelined call, on that thread
    (the event loop never waits on Redis for them)."""
    batch = _batch.get()
    if batch is not None and batch.has_unassigned():
        batch.assign_offsets()


def _send_now(user_ids: list[int], envelope: dict[str, Any]) -> None:
    batch = _batch.get()
    if batch is not None:
        batch.add(user_ids, envelope)
        return
    published = _Published(user_ids, envelope)
    _assign_offsets([published], deliver=True)
    _watch([published])
    envelopes = published.envelopes
    layer = get_channel_layer()
    if layer is None or published.sent:
        return
    try:
        # One hop into an event loop for all recipients, not one per recipient.
        main_loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
        if main_loop is not None and main_loop.is_running():
            # Sync code called from async code (a consumer): back into its loop.
            async_to_sync(_group_send_all)(layer, user_ids, envelopes)
        else:
            # A WSGI request or a Celery task: async_to_sync would start a thread, an
            # event loop and a Redis connection for every publish (~10 ms of CPU each);
            # the process's publisher loop keeps one of each.
            _publisher_loop().run(_group_send_all(layer, user_ids, envelopes))
    except Exception:  # a dead channel layer must not break the committed request
        logger.exception("could not publish %s", envelope["type"])


class _PublisherLoop:
    """One event loop per process, in a daemon thread, for publishing from sync code."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="realtime-publisher", daemon=True
        )
        self.thread.start()

    def run(self, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        # channels-redis closes this loop's connections when the loop is closed.
        self.loop.close()


_publisher: _PublisherLoop | None = None
_publisher_lock = threading.Lock()


def stop_publisher() -> None:
    """Stop the publisher loop and close its channel-layer connections (a new one starts
    on the next publish): when the channel layer is replaced, and in tests."""
    global _publisher
    with _publisher_lock:
        publisher, _publisher = _publisher, None
    if publisher is not None and publisher.pid == os.getpid():
        publisher.stop()


def _on_setting_changed(setting: str, **kwargs: Any) -> None:
    if setting == "CHANNEL_LAYERS":
        stop_publisher()


setting_changed.connect(_on_setting_changed)


def _publisher_loop() -> _PublisherLoop:
    global _publisher
    with _publisher_lock:
        # A forked child (Celery prefork) must not use its parent's thread, which it lacks.
        if _publisher is None or _publisher.pid != os.getpid():
            _publisher = _PublisherLoop()
        return _publisher


def check_event(event_type: str, data: dict[str, Any]) -> None:
    """Refuse an event the catalogue does not declare, or whose data does not fit it.

    Strict (tests, dev): raise, so the publishing code's tests fail. Otherwise (production)
    log and send anyway: a drifted field must not roll back the booking that announced it.
    """
    spec = CATALOGUE.get(event_type)
    if spec is not None and spec.socket_only:
        raise UndeclaredEvent(f"{event_type!r} is sent by the consumer only, never published")
    try:
        validate_payload(event_type, data)
    except (UndeclaredEvent, InvalidPayload):
        if settings.REALTIME_STRICT_EVENTS:
            raise
        logger.exception("publishing an event that does not match realtime/catalogue.py")


def publish_to_users(user_ids: Iterable[int], event_type: str, data: dict[str, Any]) -> None:
    """Queue `event_type` for every user in `user_ids`, delivered after commit."""
    ids = sorted({int(u) for u in user_ids if u is not None})
    if not ids:
        return
    check_event(event_type, data)
    envelope = make_envelope(event_type, data)
    transaction.on_commit(lambda: _send_now(ids, envelope))


def publish_to_user(user_id: int, event_type: str, data: dict[str, Any]) -> None:
    publish_to_users([user_id], event_type, data)


def send_to_user_now(user_id: int, event_type: str, data: dict[str, Any]) -> None:
    """For ephemeral signals that are never stored (typing): no transaction to wait for."""
    check_event(event_type, data)
    _send_now([user_id], make_envelope(event_type, data))


async def _send_batch(layer: Any, published: list[_Published]) -> None:
    """One group_send per recipient for everything an action published, in order."""
    per_user: dict[int, list[dict[str, Any]]] = {}
    for p in published:
        for user_id, envelope in zip(p.user_ids, p.envelopes, strict=True):
            per_user.setdefault(user_id, []).append(envelope)

    async def send(user_id: int, envelopes: list[dict[str, Any]]) -> None:
        message: dict[str, Any] = (
            {"type": "realtime.event", "event": envelopes[0]}
            if len(envelopes) == 1
            else {"type": "realtime.events", "events": envelopes}
        )
        try:
            await layer_publish.group_send(layer, user_group(user_id), message)
        except Exception as exc:  # a dead channel layer must not fail the committed action
            labelled(EVENTS_DROPPED, "publish_error").inc(len(envelopes))
            types = ",".join(e["type"] for e in envelopes)
            logger.error("could not publish %s to user %s: %r", types, user_id, exc)
        else:
            for envelope in envelopes:
                labelled(EVENTS_PUBLISHED, envelope["type"]).inc()

    await asyncio.gather(*(send(uid, envs) for uid, envs in per_user.items()))


@asynccontextmanager
async def publish_batched() -> AsyncIterator[None]:
    """Within this block (async code and the sync code it calls through sync_to_async),
    events that would be sent are collected instead of hopping back into the loop per event.

    Their stream appends run when the action thread's work ends (`assign_batched_offsets`),
    one Redis call for all of them, which also delivers them live when they are all durable
    (a chat send's are); anything published outside an action thread gets its offsets here,
    on a thread. What is still unsent goes out from the event loop on exit: one
    channel-layer message per recipient."""
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
        if batch.has_unassigned():
            if any(_is_durable(p.envelope["type"]) for p in batch.published):
                await sync_to_async(batch.assign_offsets, thread_sensitive=False)()
            else:
                batch.assign_offsets()  # no Redis call: nothing to append
        layer = get_channel_layer()
        unsent = [p for p in batch.published if not p.sent]
        if unsent and layer is not None:
            await _send_batch(layer, unsent)
