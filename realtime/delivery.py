"""Delivery acknowledgement for what matters: booking changes fall back to email.

Tabs acknowledge the offsets they have handled (`stream.ack`, realtime/socket_handlers.py);
the highest acknowledged offset per user is kept next to the stream. When a booking change
(catalogue `ack_fallback`) is published, a check is scheduled (the publish itself runs on
commit) for REALTIME_ACK_TIMEOUT_SECONDS later: a member of a Redis sorted set that
`sweep_due` turns into a Celery task once due (a task with a countdown without Redis). If
by then no tab of the recipient acknowledged that offset, or the stream's history was lost
meanwhile, the recipient gets one short email pointing at the booking; a cache key makes a
redelivered task send it once.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail

from realtime import stream
from realtime.catalogue import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_CREATED,
    BOOKING_NO_SHOW,
    BOOKING_RESCHEDULED,
    CATALOGUE,
)

logger = logging.getLogger(__name__)

SUBJECTS = {
    BOOKING_CREATED: "New booking: {topic}",
    BOOKING_CONFIRMED: "Booking confirmed: {topic}",
    BOOKING_CANCELLED: "Booking cancelled: {topic}",
    BOOKING_RESCHEDULED: "Booking moved: {topic}",
    BOOKING_NO_SHOW: "Booking closed as a no-show: {topic}",
}
SENT_TTL_SECONDS = 7 * 24 * 3600


def timeout_seconds() -> float:
    """0 turns the fallback off (the test settings do, except in its own tests)."""
    return float(settings.REALTIME_ACK_TIMEOUT_SECONDS or 0)


def watch(user_ids: list[int], envelopes: list[dict[str, Any]]) -> None:
    """Called after commit with each recipient's envelope (offset and epoch included)."""
    if not envelopes:
        return
    spec = CATALOGUE.get(envelopes[0]["type"])
    timeout = timeout_seconds()
    if spec is None or not spec.ack_fallback or timeout <= 0:
        return
    checks = [
        [user_id, e["epoch"], e["offset"], e["type"], _summary(e["data"])]
        for user_id, e in zip(user_ids, envelopes, strict=True)
        # Without an offset the stream was unavailable: nothing to acknowledge against.
        if "offset" in e
    ]
    if not checks:
        return
    client = _due_client()
    if client is not None:
        # One ZADD instead of a Celery publish per check: a kombu publish cost ~7 % of a
        # booking request's CPU. sweep_due (every DUE_SWEEP_SECONDS, Celery beat) hands due
        # checks to check_delivery, so a check runs at most that much later than before.
        due = time.time() + timeout
        client.zadd(_due_key(), {json.dumps(args): due for args in checks})
        return
    from realtime.tasks import check_delivery

    for args in checks:  # no Redis (the embedded default): Celery's countdown
        check_delivery.apply_async(args=args, countdown=timeout)


# Beat runs sweep_due this often (project/settings/base.py, CELERY_BEAT_SCHEDULE).
DUE_SWEEP_SECONDS = 10
SWEEP_BATCH = 500


def _due_key() -> str:
    # Under the streams' own prefix (the channel layer's), so deployments sharing a Redis
    # never sweep each other's checks.
    return f"{stream._prefix()}:delivery:due"


def _due_client() -> Any:
    """The stream store's Redis client (checks wait in a sorted set beside the streams),
    or None without Redis."""
    return getattr(stream.get_store(), "client", None)


def sweep_due(now: float | None = None) -> int:
    """Queue check_delivery for every check now due (Celery's retries apply to each).

    A check leaves the set only after its task is queued, so a sweep that dies midway
    leaves the rest for the next one; a check queued twice (two sweeps at once) emails
    once, thanks to the cache key in fall_back_if_unacknowledged. Returns the count."""
    client = _due_client()
    if client is None:
        return 0
    from realtime.tasks import check_delivery

    now = time.time() if now is None else now
    queued = 0
    while True:
        members = client.zrangebyscore(_due_key(), "-inf", now, start=0, num=SWEEP_BATCH)
        for member in members:
            check_delivery.apply_async(args=json.loads(member))
            client.zrem(_due_key(), member)
        queued += len(members)
        if len(members) < SWEEP_BATCH:
            return queued


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    return {"id": data.get("id"), "topic": data.get("topic") or "your consultation"}


def is_acknowledged(user_id: int, epoch: str, offset: int) -> bool:
    acked = stream.get_store().acked(user_id)
    return acked is not None and acked.epoch == epoch and acked.offset >= offset


def fall_back_if_unacknowledged(
    user_id: int, epoch: str, offset: int, event_type: str, summary: dict[str, Any]
) -> str:
    """Returns "acknowledged", "already_sent", "no_email" or "emailed"."""
    if is_acknowledged(user_id, epoch, offset):
        return "acknowledged"
    if not cache.add(f"realtime:fallback:{user_id}:{epoch}:{offset}", 1, SENT_TTL_SECONDS):
        return "already_sent"
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return "no_email"
    topic = str(summary.get("topic") or "your consultation")
    subject = SUBJECTS.get(event_type, "Booking update: {topic}").format(topic=topic)
    url = f"{settings.SITE_URL.rstrip('/')}/consultations/{summary.get('id')}"
    body = (
        f"{subject}\n\n"
        "You were not online when this change happened, so we are letting you know "
        f"by email.\n\nSee the booking: {url}\n"
    )
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:
        cache.delete(f"realtime:fallback:{user_id}:{epoch}:{offset}")  # let a retry send it
        raise
    logger.info("user %s did not acknowledge %s #%s: emailed", user_id, event_type, offset)
    return "emailed"
