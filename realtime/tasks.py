"""Celery tasks of the realtime app."""

from __future__ import annotations

from smtplib import SMTPException
from typing import Any

from celery import shared_task

from realtime import delivery


@shared_task(  # type: ignore[untyped-decorator]
    name="realtime.tasks.check_delivery",
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    max_retries=5,
)
def check_delivery(
    user_id: int, epoch: str, offset: int, event_type: str, summary: dict[str, Any]
) -> str:
    """Email the recipient of a booking change that no tab acknowledged in time (once)."""
    return delivery.fall_back_if_unacknowledged(user_id, epoch, offset, event_type, summary)


@shared_task(name="realtime.tasks.sweep_due_deliveries", acks_late=True)  # type: ignore[untyped-decorator]
def sweep_due_deliveries() -> int:
    """Queue the delivery checks now due (realtime.delivery.sweep_due; beat, every 10 s)."""
    return delivery.sweep_due()
