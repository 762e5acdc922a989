"""Delivery acknowledgement for what matters: booking changes fall back to email.

Tabs acknowledge the offsets they have handled (`stream.ack`, realtime/socket_handlers.py);
the highest acknowledged offset per user is kept next to the stream. When a booking change
(catalogue `ack_fallback`) is published, a Celery task is scheduled (the publish itself
runs on commit) for REALTIME_ACK_TIMEOUT_SECONDS later. If by then no tab of the recipient
acknowledged that offset, or the stream's history was lost meanwhile, the recipient gets one
short email pointing at the booking; a cache key makes a redelivered task send it once.
"""

from __future__ import annotations

import logging
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
    from realtime.tasks import check_delivery

    for user_id, envelope in zip(user_ids, envelopes, strict=True):
        if "offset" not in envelope:
            continue  # the stream was unavailable: nothing to acknowledge against
        check_delivery.apply_async(
            args=[
                user_id,
                envelope["epoch"],
                envelope["offset"],
                envelope["type"],
                _summary(envelope["data"]),
            ],
            countdown=timeout,
        )


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
