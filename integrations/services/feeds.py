"""Per-user calendar subscription feeds (webcal / ICS URL with a secret token).

The feed lists every consultation of the user, as client or as expert, one VEVENT each,
built by notifications.calendar.build_event (the same events the email invites carry, same
UID). A calendar app polls it; to keep that cheap and correct:

- SEQUENCE per consultation is stored (CalendarEventState) and bumped whenever what the
  event shows changes (time, status, topic, whether the join link is shown), detected by a
  fingerprint when the feed is rendered; DTSTAMP is the time of that change, so an
  unchanged calendar renders byte for byte the same and its ETag stays put.
- Cancelled consultations stay in the feed as STATUS:CANCELLED, so subscribed calendars
  remove or strike them instead of keeping a ghost; a rescheduled booking is the old UID
  cancelled plus a new UID.
- The join link is included only once the booking is confirmed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consultations.models import Consultation, Expert
from integrations.models import CalendarEventState, CalendarFeedToken
from integrations.services import audit
from notifications.calendar import build_event, new_calendar
from project.api_errors import NotFound

TOKEN_BYTES = 32
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
SHOWN_STATUSES = (Consultation.Status.CONFIRMED, Consultation.Status.COMPLETED)


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: datetime
    timezone: str


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def get_or_create_feed(user: User) -> CalendarFeedToken:
    feed, _ = CalendarFeedToken.objects.get_or_create(user=user, defaults={"token": _new_token()})
    return feed


def regenerate_feed_token(user: User, *, actor: Any = None) -> CalendarFeedToken:
    """A new secret URL; the old one stops working at once."""
    with transaction.atomic():
        feed = CalendarFeedToken.objects.select_for_update().filter(
            user=user
        ).first() or CalendarFeedToken(user=user)
        feed.token = _new_token()
        feed.created_at = timezone.now()
        feed.last_polled_at = None
        feed.save()
        audit.record("calendar_feed.regenerated", actor=actor or user, target=feed)
    return feed


def feed_by_token(token: str) -> CalendarFeedToken:
    # Tokens are URL-safe base64 (token_urlsafe): anything else cannot match, and a NUL
    # byte would make PostgreSQL refuse the query instead of finding no row.
    feed = (
        CalendarFeedToken.objects.select_related("user").filter(token=token).first()
        if _TOKEN_RE.fullmatch(token)
        else None
    )
    if feed is None or not feed.user.is_active:
        raise NotFound("No such calendar feed.")
    return feed


def _fingerprint(c: Consultation, meeting_link: bool) -> str:
    parts = [
        c.start_at.isoformat(),
        c.end_at.isoformat(),
        c.status,
        c.topic,
        c.expert.name,
        (c.meeting_room_id or "") if meeting_link else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def feed_timezone(user: User) -> str:
    """X-WR-TIMEZONE: an expert's working zone; else the person's chosen zone, else the
    zone of the expert they book most recently, else UTC (times are UTC either way)."""
    expert = Expert.objects.filter(user=user).only("timezone").first()
    if expert is not None and expert.timezone:
        return expert.timezone
    chosen = str(getattr(getattr(user, "profile", None), "timezone", "") or "")
    if chosen:
        return chosen
    latest = (
        Consultation.objects.filter(user=user)
        .order_by("-start_at")
        .values_list("expert__timezone", flat=True)
        .first()
    )
    return latest or "UTC"


def _sync_states(consultations: list[Consultation], now: datetime) -> dict[int, CalendarEventState]:
    """The stored SEQUENCE of each consultation, bumped where its event changed."""
    states = {
        s.consultation_id: s
        for s in CalendarEventState.objects.filter(consultation__in=[c.pk for c in consultations])
    }
    created: list[CalendarEventState] = []
    changed: list[CalendarEventState] = []
    for c in consultations:
        fingerprint = _fingerprint(c, c.status in SHOWN_STATUSES)
        state = states.get(c.pk)
        if state is None:
            state = CalendarEventState(
                consultation=c, sequence=0, fingerprint=fingerprint, changed_at=c.updated_at
            )
            states[c.pk] = state
            created.append(state)
        elif state.fingerprint != fingerprint:
            state.sequence += 1
            state.fingerprint = fingerprint
            state.changed_at = now
            changed.append(state)
    if created:
        # Two polls at once may both create: the loser keeps the winner's row.
        CalendarEventState.objects.bulk_create(created, ignore_conflicts=True)
    for state in changed:
        # Only bump from what we read: a concurrent poll that already bumped wins.
        CalendarEventState.objects.filter(pk=state.pk, sequence=state.sequence - 1).update(
            sequence=state.sequence, fingerprint=state.fingerprint, changed_at=now
        )
    return states


def render_feed(feed: CalendarFeedToken, *, now: datetime | None = None) -> RenderedFeed:
    """The ICS body of `feed`'s user, with its ETag and Last-Modified."""
    now = now or timezone.now()
    user = feed.user
    consultations = list(
        Consultation.objects.filter(Q(user=user) | Q(expert__user=user))
        .select_related("expert", "expert__user", "user")
        .order_by("start_at", "pk")
    )
    states = _sync_states(consultations, now)
    zone = feed_timezone(user)

    calendar = new_calendar()
    calendar.add("x-wr-calname", "Consult consultations")
    calendar.add("x-wr-timezone", zone)
    # A hint to poll hourly (RFC 7986 REFRESH-INTERVAL and the older Microsoft property).
    calendar.add("x-published-ttl", "PT1H")
    last_modified = feed.created_at
    for c in consultations:
        state = states[c.pk]
        calendar.add_component(
            build_event(
                c,
                sequence=state.sequence,
                now=state.changed_at,
                meeting_link=c.status in SHOWN_STATUSES,
            )
        )
        last_modified = max(last_modified, state.changed_at)
    body = calendar.to_ical()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    CalendarFeedToken.objects.filter(pk=feed.pk).update(last_polled_at=now)
    return RenderedFeed(body=body, etag=etag, last_modified=last_modified, timezone=zone)
