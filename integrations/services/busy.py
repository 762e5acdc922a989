"""External calendars (ICS feeds) of experts: add, remove, fetch, parse, store busy times.

A feed is fetched through `safe_http` (SSRF rules, timeouts, size cap, limited redirects),
parsed with `icalendar`, recurring events expanded with `recurring-ical-events` over the
expert's booking horizon, and stored as UTC busy intervals (no titles or details are kept).
Scheduling subtracts them through the busy source registered in IntegrationsConfig.ready.

- Time zones: TZID-qualified times are converted by their zone; Google's X-WR-TIMEZONE
  calendars are normalised first (`x-wr-timezone`); floating times and all-day dates are
  read in the expert's zone (an all-day event blocks the expert's whole local day,
  DST-exact).
- Free (TRANSP:TRANSPARENT) and cancelled events block nothing.
- A failed fetch keeps the intervals of the last good one and records the error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

from consultations.models import Expert
from consultations.services import scheduling
from consultations.services.timezones import get_zone
from integrations import selectors
from integrations.models import ExternalBusyInterval, ExternalCalendarFeed
from integrations.services import audit, safe_http
from project.api_errors import ServiceError
from realtime.events import publish_to_user

logger = logging.getLogger(__name__)

MAX_FEEDS_PER_EXPERT = 10
MAX_INTERVALS_PER_FEED = 5000


def _max_bytes() -> int:
    return int(settings.INTEGRATIONS_FEED_MAX_BYTES)


def _timeout() -> float:
    return float(settings.INTEGRATIONS_HTTP_TIMEOUT)


@dataclass(frozen=True)
class SyncResult:
    ok: bool
    busy_count: int
    error: str = ""
    not_modified: bool = False


# --------------------------------------------------------------------------- feeds CRUD


def add_feed(
    expert: Expert, *, url: str, name: str = "", actor: Any = None
) -> ExternalCalendarFeed:
    """Store a feed URL (checked for scheme and host now; addresses again at each fetch)."""
    url = url.strip()
    try:
        safe_http.check_url(url)
    except safe_http.UnsafeURL as exc:
        raise ServiceError(str(exc), field="url", code="unsafe_url") from None
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        if ExternalCalendarFeed.objects.filter(expert=locked).count() >= MAX_FEEDS_PER_EXPERT:
            raise ServiceError(
                f"At most {MAX_FEEDS_PER_EXPERT} calendars.", field="url", code="too_many_feeds"
            )
        if ExternalCalendarFeed.objects.filter(expert=locked, url=url).exists():
            raise ServiceError("This calendar is already added.", field="url", code="duplicate")
        feed = ExternalCalendarFeed.objects.create(expert=locked, url=url, name=name.strip())
        audit.record(
            "calendar_source.added",
            actor=actor,
            expert=locked,
            target=feed,
            details={"host": safe_http.check_url(url)[1]},
        )
        transaction.on_commit(lambda: _queue_sync(feed.pk))
    return feed


def _queue_sync(feed_id: int) -> None:
    from integrations.tasks import sync_external_calendar

    try:
        sync_external_calendar.delay(feed_id)
    except Exception:  # a broker outage must not fail the request; beat retries later
        logger.exception("could not queue the first sync of feed %s", feed_id)


def _own_feed(expert: Expert, feed_id: int) -> ExternalCalendarFeed:
    return selectors.own_feed(expert, feed_id)


def update_feed(
    expert: Expert,
    feed_id: int,
    *,
    name: str | None = None,
    enabled: bool | None = None,
    actor: Any = None,
) -> ExternalCalendarFeed:
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        feed = _own_feed(locked, feed_id)
        changes: dict[str, Any] = {}
        if name is not None:
            feed.name = name.strip()
            changes["name"] = feed.name
        if enabled is not None and enabled != feed.enabled:
            feed.enabled = enabled
            changes["enabled"] = enabled
        feed.save(update_fields=["name", "enabled"])
        audit.record(
            "calendar_source.changed", actor=actor, expert=locked, target=feed, details=changes
        )
        if "enabled" in changes:
            scheduling.refresh_next_available_at(locked)
            if enabled:
                transaction.on_commit(lambda: _queue_sync(feed.pk))
    return feed


def remove_feed(expert: Expert, feed_id: int, *, actor: Any = None) -> None:
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        feed = _own_feed(locked, feed_id)
        audit.record("calendar_source.removed", actor=actor, expert=locked, target=feed)
        feed.delete()
        scheduling.refresh_next_available_at(locked)


# --------------------------------------------------------------------------- parsing


def _as_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the expert's wall clock
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    # A date (all-day event): midnight of that day in the expert's zone.
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


def parse_busy(
    body: bytes, zone: ZoneInfo, lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """Busy UTC intervals of an ICS body overlapping [lo, hi); ValueError if unreadable."""
    try:
        calendar = Calendar.from_ical(body)
    except Exception as exc:  # icalendar raises ValueError and friends on bad input
        raise ValueError(f"Not a readable iCalendar file ({exc}).") from None
    if calendar.name != "VCALENDAR":
        raise ValueError("Not an iCalendar file (no VCALENDAR).")
    calendar = x_wr_timezone.to_standard(calendar)
    # Expand in the expert's wall time a little wider than asked: floating and all-day
    # events are placed in that zone below.
    try:
        occurrences = recurring_ical_events.of(calendar).between(
            lo.astimezone(zone) - timedelta(days=1), hi.astimezone(zone) + timedelta(days=1)
        )
    except Exception as exc:
        raise ValueError(f"Could not expand the events ({exc}).") from None
    busy: list[tuple[datetime, datetime]] = []
    for event in occurrences:
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start_prop = event.get("DTSTART")
        if start_prop is None:
            continue
        start_value = start_prop.dt
        end_prop = event.get("DTEND")
        if end_prop is not None:
            end_value = end_prop.dt
        elif event.get("DURATION") is not None:
            end_value = start_value + event["DURATION"].dt
        elif isinstance(start_value, datetime):
            continue  # no duration: a point in time blocks nothing
        else:
            end_value = start_value + timedelta(days=1)
        start, end = _as_utc(start_value, zone), _as_utc(end_value, zone)
        if end <= start or end <= lo or start >= hi:
            continue
        busy.append((start, end))
        if len(busy) > MAX_INTERVALS_PER_FEED:
            raise ValueError(f"More than {MAX_INTERVALS_PER_FEED} busy times in the window.")
    return sorted(set(busy))


# --------------------------------------------------------------------------- sync


def _window(expert: Expert, now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=1), now + timedelta(days=expert.booking_horizon_days + 2)


def _record_failure(feed: ExternalCalendarFeed, error: str, now: datetime) -> SyncResult:
    ExternalCalendarFeed.objects.filter(pk=feed.pk).update(
        status=ExternalCalendarFeed.Status.ERROR, last_fetch_at=now, last_error=error[:1000]
    )
    _announce(feed, ExternalCalendarFeed.Status.ERROR)
    return SyncResult(ok=False, busy_count=feed.busy_count, error=error)


def _announce(feed: ExternalCalendarFeed, status: str) -> None:
    publish_to_user(
        feed.expert.user_id,
        "calendar_source.synced",
        {"feed_id": feed.pk, "status": status},
    )


def sync_feed(feed_id: int, *, now: datetime | None = None) -> SyncResult:
    """Fetch one feed and replace its busy intervals (or record why it failed)."""
    now = now or timezone.now()
    feed = ExternalCalendarFeed.objects.select_related("expert").filter(pk=feed_id).first()
    if feed is None or not feed.enabled:
        return SyncResult(ok=False, busy_count=0, error="gone or disabled")
    expert = feed.expert
    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if feed.etag and feed.status == ExternalCalendarFeed.Status.OK:
        headers["If-None-Match"] = feed.etag
    if feed.remote_last_modified and feed.status == ExternalCalendarFeed.Status.OK:
        headers["If-Modified-Since"] = feed.remote_last_modified
    try:
        result = safe_http.request(
            "GET",
            feed.url,
            headers=headers,
            timeout=_timeout(),
            max_bytes=_max_bytes(),
            max_redirects=3,
        )
    except (safe_http.UnsafeURL, safe_http.FetchError) as exc:
        with transaction.atomic():
            return _record_failure(feed, str(exc), now)
    if result.status == 304:
        with transaction.atomic():
            ExternalCalendarFeed.objects.filter(pk=feed.pk).update(
                status=ExternalCalendarFeed.Status.OK,
                last_fetch_at=now,
                last_success_at=now,
                last_error="",
            )
            _announce(feed, ExternalCalendarFeed.Status.OK)
        return SyncResult(ok=True, busy_count=feed.busy_count, not_modified=True)
    if result.status != 200:
        with transaction.atomic():
            return _record_failure(feed, f"The server answered HTTP {result.status}.", now)
    zone = get_zone(expert.timezone, field="timezone")
    lo, hi = _window(expert, now)
    try:
        intervals = parse_busy(result.body, zone, lo, hi)
    except ValueError as exc:
        with transaction.atomic():
            return _record_failure(feed, str(exc), now)
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        if not ExternalCalendarFeed.objects.filter(pk=feed.pk, enabled=True).exists():
            return SyncResult(ok=False, busy_count=0, error="gone or disabled")
        ExternalBusyInterval.objects.filter(feed=feed).delete()
        ExternalBusyInterval.objects.bulk_create(
            ExternalBusyInterval(feed=feed, expert=locked, start_at=s, end_at=e)
            for s, e in intervals
        )
        ExternalCalendarFeed.objects.filter(pk=feed.pk).update(
            status=ExternalCalendarFeed.Status.OK,
            last_fetch_at=now,
            last_success_at=now,
            last_error="",
            busy_count=len(intervals),
            etag=result.headers.get("etag", "")[:200],
            remote_last_modified=result.headers.get("last-modified", "")[:100],
        )
        scheduling.refresh_next_available_at(locked)
        _announce(feed, ExternalCalendarFeed.Status.OK)
    return SyncResult(ok=True, busy_count=len(intervals))


def enabled_feed_ids() -> list[int]:
    return list(
        ExternalCalendarFeed.objects.filter(enabled=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
