"""Signed webhooks: endpoints, deliveries, attempts, retries, replays.

An expert's endpoint hears about their own consultations; a staff endpoint (expert=None)
hears about every consultation. Each event becomes one WebhookDelivery per subscribed
endpoint, created after the domain change committed (the domain signals are sent from
`transaction.on_commit`). The first attempt is a Celery task queued on commit; failures are
retried by the beat task `retry_webhook_deliveries` with exponential backoff (1, 2, 4 …
minutes, at most 1 hour apart) until 24 hours after the event, then marked failed.

Request: POST, `Content-Type: application/json`, body
`{"id": "evt_…", "type": "booking.created", "created_at": "…Z", "data": {…}}` (the same body
on every retry and replay of that event), headers

    Consult-Webhook-Id:        the delivery's id (a replay has a new one)
    Consult-Webhook-Timestamp: Unix seconds of this attempt
    Consult-Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A 2xx answer within the timeout is a success; anything else (3xx included: redirects are
not followed) is a failure. The same SSRF rules as calendar feeds apply to every attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from consultations.models import Expert
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.services import audit, safe_http
from project.api_errors import NotAllowed, NotFound, ServiceError
from realtime.events import publish_to_user

logger = logging.getLogger(__name__)

EVENTS = (
    "booking.created",
    "booking.confirmed",
    "booking.cancelled",
    "booking.rescheduled",
    "meeting.started",
    "meeting.ended",
    "review.created",
)
MAX_ENDPOINTS_PER_OWNER = 10
RETRY_WINDOW = timedelta(hours=24)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY_GAP = timedelta(hours=1)
# While one worker is sending, others leave the delivery alone for this long.
LEASE = timedelta(minutes=2)
EXCERPT_CHARS = 500
RESPONSE_MAX_BYTES = 64 * 1024
Status = WebhookDelivery.Status


def _timeout() -> float:
    return float(settings.INTEGRATIONS_WEBHOOK_TIMEOUT)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Consult-Webhook-Signature` value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300
) -> bool:
    """The receiver's check (the README recipe, in Python): signature and freshness."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, int(timestamp), body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature.split(","))


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    wait: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(wait, MAX_RETRY_GAP)


# --------------------------------------------------------------------------- endpoints


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        safe_http.check_url(url)
    except safe_http.UnsafeURL as exc:
        raise ServiceError(str(exc), field="url", code="unsafe_url") from None
    if url.lower().startswith("webcal:"):
        raise ServiceError("Use an https:// address.", field="url", code="unsafe_url")
    return url


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise ServiceError(
            f"Unknown event {unknown[0]!r}; choose from {', '.join(EVENTS)}.",
            field="events",
            code="unknown_event",
        )
    if not events:
        raise ServiceError("Choose at least one event.", field="events")
    return [e for e in EVENTS if e in events]


def endpoints_visible_to(user: User) -> Any:
    return WebhookEndpoint.objects.filter(owner=user).order_by("created_at", "pk")


def own_endpoint(user: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(owner=user, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def create_endpoint(
    owner: User, *, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    """For an expert (their consultations) or staff (every consultation)."""
    expert = Expert.objects.filter(user=owner).first()
    if expert is None and not owner.is_staff:
        raise NotAllowed("Only experts and staff can add webhooks.")
    url = _check_url(url)
    events = _check_events(events)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=owner.pk)  # serialises the count below
        if WebhookEndpoint.objects.filter(owner=owner).count() >= MAX_ENDPOINTS_PER_OWNER:
            raise ServiceError(
                f"At most {MAX_ENDPOINTS_PER_OWNER} endpoints.", field="url", code="too_many"
            )
        endpoint = WebhookEndpoint.objects.create(
            owner=owner,
            # Staff endpoints hear everything, even a staff member who is also an expert.
            expert=None if owner.is_staff else expert,
            url=url,
            events=events,
            description=description.strip(),
            secret=new_secret(),
        )
        audit.record(
            "webhook.created",
            actor=owner,
            expert=endpoint.expert,
            target=endpoint,
            details={"events": events, "host": safe_http.check_url(url)[1]},
        )
    return endpoint


def update_endpoint(
    owner: User,
    endpoint_id: int,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = own_endpoint(owner, endpoint_id)
        changes: dict[str, Any] = {}
        if url is not None:
            endpoint.url = _check_url(url)
            changes["host"] = safe_http.check_url(endpoint.url)[1]
        if events is not None:
            endpoint.events = _check_events(events)
            changes["events"] = endpoint.events
        if description is not None:
            endpoint.description = description.strip()
        if active is not None:
            endpoint.active = active
            changes["active"] = active
        endpoint.save()
        audit.record(
            "webhook.changed", actor=owner, expert=endpoint.expert, target=endpoint, details=changes
        )
    return endpoint


def rotate_secret(owner: User, endpoint_id: int) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = own_endpoint(owner, endpoint_id)
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret"])
        audit.record("webhook.secret_rotated", actor=owner, expert=endpoint.expert, target=endpoint)
    return endpoint


def delete_endpoint(owner: User, endpoint_id: int) -> None:
    with transaction.atomic():
        endpoint = own_endpoint(owner, endpoint_id)
        audit.record("webhook.deleted", actor=owner, expert=endpoint.expert, target=endpoint)
        endpoint.delete()


# --------------------------------------------------------------------------- dispatch


def _queue(delivery_ids: list[Any]) -> None:
    from integrations.tasks import deliver_webhook

    def send() -> None:
        for delivery_id in delivery_ids:
            try:
                deliver_webhook.delay(str(delivery_id))
            except Exception:  # the beat retry picks it up
                logger.exception("could not queue webhook delivery %s", delivery_id)

    transaction.on_commit(send)


def may_have_subscribers(expert_id: int) -> bool:
    """False when no active endpoint could hear about this expert's consultations (none of
    theirs, no staff one): `dispatch` would find nothing. Most experts have no webhooks,
    so their bookings skip the payload and the full lookup for one short statement. Read
    live, not cached: a new endpoint hears about the very next booking."""
    meta = WebhookEndpoint._meta
    expert_column = meta.get_field("expert").column
    active_column = meta.get_field("active").column
    # Plain SQL: compiling the ORM query cost more CPU than running it.
    sql = (
        f'SELECT 1 FROM "{meta.db_table}" WHERE "{active_column}" '
        f'AND ("{expert_column}" = %s OR "{expert_column}" IS NULL) LIMIT 1'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [expert_id])
        return cursor.fetchone() is not None


def dispatch(event_type: str, data: dict[str, Any], *, expert_id: int) -> list[WebhookDelivery]:
    """One delivery per active endpoint subscribed to `event_type` that may see this expert."""
    if event_type not in EVENTS:
        raise ValueError(f"not a webhook event: {event_type}")
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(active=True)
        .filter(Q(expert_id=expert_id) | Q(expert__isnull=True, owner__is_staff=True))
        .filter(owner__is_active=True)
        if event_type in e.events
    ]
    if not endpoints:
        return []
    body = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": event_type,
        "created_at": timezone.now().isoformat().replace("+00:00", "Z"),
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    }
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=e, event_type=event_type, payload=body) for e in endpoints
        )
        _queue([d.pk for d in deliveries])
    return deliveries


def replay(user: User, delivery_id: Any, *, staff: bool = False) -> WebhookDelivery:
    """Send an event again to the same endpoint (same body, new delivery id)."""
    qs = WebhookDelivery.objects.select_related("endpoint")
    original = qs.filter(pk=delivery_id).first()
    if original is None or (not staff and original.endpoint.owner_id != user.pk):
        raise NotFound("No such delivery.")
    with transaction.atomic():
        copy = WebhookDelivery.objects.create(
            endpoint=original.endpoint,
            event_type=original.event_type,
            payload=original.payload,
            replay_of=original,
        )
        audit.record(
            "webhook.replayed",
            actor=user,
            expert=original.endpoint.expert,
            target=copy,
            details={"original": str(original.pk)},
        )
        _queue([copy.pk])
    return copy


# --------------------------------------------------------------------------- delivery


def _claim(delivery_id: Any, now: datetime) -> WebhookDelivery | None:
    """Take the delivery for one attempt (a lease), or None if it is not due or taken."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id, status__in=[Status.PENDING, Status.RETRYING])
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .first()
        )
        if delivery is None:
            return None
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def attempt(delivery_id: Any, *, now: datetime | None = None) -> WebhookDelivery | None:
    """One HTTP attempt of a due delivery; records it and schedules the next one."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "Consult-Webhook-Id": str(delivery.pk),
        "Consult-Webhook-Timestamp": str(timestamp),
        "Consult-Webhook-Signature": sign(endpoint.secret, timestamp, body),
    }
    status_code: int | None = None
    excerpt = error = ""
    started = time.monotonic()
    if not endpoint.active:
        error = "The endpoint is paused."
    else:
        try:
            result = safe_http.request(
                "POST",
                endpoint.url,
                body=body,
                headers=headers,
                timeout=_timeout(),
                deadline_seconds=_timeout() * 2,
                max_bytes=RESPONSE_MAX_BYTES,
                max_redirects=0,
            )
            status_code = result.status
            excerpt = result.body[:EXCERPT_CHARS].decode("utf-8", errors="replace")
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except (safe_http.UnsafeURL, safe_http.FetchError) as exc:
            error = str(exc)
    latency_ms = int((time.monotonic() - started) * 1000)
    ok = not error
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=status_code,
            latency_ms=latency_ms,
            response_excerpt=excerpt,
            error=error[:1000],
        )
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_latency_ms = latency_ms
        delivery.last_response_excerpt = excerpt
        delivery.last_error = error[:1000]
        if ok:
            delivery.status = Status.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        else:
            next_at = now + retry_delay(delivery.attempts)
            if next_at > delivery.created_at + RETRY_WINDOW:
                delivery.status = Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.status = Status.RETRYING
                delivery.next_attempt_at = next_at
        delivery.save()
        publish_to_user(
            endpoint.owner_id,
            "webhook.delivery",
            {
                "endpoint_id": endpoint.pk,
                "delivery_id": str(delivery.pk),
                "event_type": delivery.event_type,
                "status": delivery.status,
                "attempts": delivery.attempts,
                "last_status_code": delivery.last_status_code,
            },
        )
    return delivery


def due_delivery_ids(now: datetime | None = None, limit: int = 200) -> list[Any]:
    now = now or timezone.now()
    # A pending delivery whose first task was lost (broker down) is picked up after a minute.
    due = Q(next_attempt_at__lte=now) | Q(
        next_attempt_at__isnull=True, created_at__lte=now - FIRST_RETRY
    )
    return list(
        WebhookDelivery.objects.filter(status__in=[Status.PENDING, Status.RETRYING])
        .filter(due)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
