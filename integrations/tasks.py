"""Celery tasks: external calendar sync (beat) and webhook delivery (with backoff)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from integrations.services import busy, webhooks


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def sync_external_calendar(feed_id: int) -> dict[str, Any]:
    result = busy.sync_feed(feed_id)
    return {"ok": result.ok, "busy": result.busy_count, "error": result.error}


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def sync_external_calendars() -> int:
    """Beat: queue a sync of every enabled feed (each in its own task, so one slow
    server delays only its own feed)."""
    ids = busy.enabled_feed_ids()
    for feed_id in ids:
        sync_external_calendar.delay(feed_id)
    return len(ids)


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def deliver_webhook(delivery_id: str) -> str | None:
    """The first attempt of a delivery, right after the event committed."""
    delivery = webhooks.attempt(delivery_id)
    return delivery.status if delivery else None


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def retry_webhook_deliveries() -> int:
    """Beat (every minute): attempt every delivery whose backoff has elapsed."""
    ids = webhooks.due_delivery_ids()
    for delivery_id in ids:
        deliver_webhook.delay(str(delivery_id))
    return len(ids)
