"""The one place every app publishes live events through.

Events are sent only after the surrounding database transaction commits
(`transaction.on_commit`), so a client never hears about data that a rollback erased,
and never hears before it could read the data back over REST.

Envelope (version 1): {"v": 1, "type": str, "id": str, "ts": ISO-8601 UTC, "data": {...}}
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from realtime.catalogue import InvalidPayload, UndeclaredEvent, validate_payload
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


async def _group_send_all(layer: Any, user_ids: list[int], envelope: dict[str, Any]) -> None:
    # "realtime.event" maps to UserConsumer.realtime_event.
    message = {"type": "realtime.event", "event": envelope}
    results = await asyncio.gather(
        *(layer.group_send(user_group(uid), message) for uid in user_ids),
        return_exceptions=True,
    )
    for user_id, result in zip(user_ids, results, strict=True):
        if isinstance(result, BaseException):
            logger.error("could not publish %s to user %s: %r", envelope["type"], user_id, result)


def _send_now(user_ids: list[int], envelope: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        # One hop into the event loop for all recipients, not one per recipient.
        async_to_sync(_group_send_all)(layer, user_ids, envelope)
    except Exception:  # a dead channel layer must not break the committed request
        logger.exception("could not publish %s", envelope["type"])


def check_event(event_type: str, data: dict[str, Any]) -> None:
    """Refuse an event the catalogue does not declare, or whose data does not fit it.

    Strict (tests, dev): raise, so the publishing code's tests fail. Otherwise (production)
    log and send anyway: a drifted field must not roll back the booking that announced it.
    """
    try:
        spec = validate_payload(event_type, data)
    except (UndeclaredEvent, InvalidPayload):
        if getattr(settings, "REALTIME_STRICT_EVENTS", False):
            raise
        logger.exception("publishing an event that does not match realtime/catalogue.py")
        return
    if spec.socket_only:
        raise UndeclaredEvent(f"{event_type!r} is sent by the consumer only, never published")


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
