"""Reads for calendars and integrations. Who may see what is decided here."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from consultations.models import Expert
from integrations.models import (
    ExternalBusyInterval,
    ExternalCalendarFeed,
    WebhookDelivery,
    WebhookEndpoint,
)
from project.api_errors import NotFound


def busy_intervals_for(
    expert: Expert, lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """Busy times from the expert's enabled external calendars overlapping [lo, hi)."""
    return list(
        ExternalBusyInterval.objects.filter(
            expert=expert, feed__enabled=True, end_at__gt=lo, start_at__lt=hi
        ).values_list("start_at", "end_at")
    )


def busy_intervals_sql() -> str:
    """busy_intervals_for as one SELECT (start_at, end_at) for the calendar read's single
    statement on PostgreSQL (consultations.services.scheduling.register_busy_source)."""
    busy = ExternalBusyInterval._meta.db_table
    feeds = ExternalCalendarFeed._meta.db_table
    return (
        f"SELECT b.start_at, b.end_at FROM {busy} b JOIN {feeds} f ON f.id = b.feed_id"
        " WHERE b.expert_id = %(expert)s AND f.enabled AND b.end_at > %(lo)s"
        " AND b.start_at < %(hi)s"
    )


def feeds_of(expert: Expert) -> QuerySet[ExternalCalendarFeed]:
    return ExternalCalendarFeed.objects.filter(expert=expert).order_by("created_at", "pk")


def own_feed(expert: Expert, feed_id: int) -> ExternalCalendarFeed:
    """One of the expert's own feeds; another expert's is 404 (its existence is not told)."""
    feed = ExternalCalendarFeed.objects.filter(expert=expert, pk=feed_id).first()
    if feed is None:
        raise NotFound("No such calendar.")
    return feed


def deliveries_of(endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .prefetch_related("log")
        .order_by("-created_at")[:limit]
    )
