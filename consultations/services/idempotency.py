"""`Idempotency-Key` for POSTs that create bookings.

The key row is inserted in the same transaction as the booking. A concurrent duplicate
blocks on the unique index until the first transaction ends, then finds the stored
response and replays it, so a retry can never create a second booking. Failed requests
(4xx) roll back their key with everything else: retrying them simply tries again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations.models import IdempotencyKey
from project.api_errors import Conflict, ServiceError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP_FOR = timedelta(days=2)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any
    replayed: bool


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def validate_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ServiceError(
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable characters.",
            field=HEADER,
            code="invalid_idempotency_key",
        )
    return key


def _replay(existing: IdempotencyKey, request_fingerprint: str) -> StoredResponse:
    if existing.fingerprint != request_fingerprint:
        raise ServiceError(
            f"This {HEADER} was already used for a different request; use a new key.",
            field=HEADER,
            code="idempotency_key_reused",
            status_code=422,
        )
    return StoredResponse(existing.response_status, existing.response_body, replayed=True)


def run_idempotent(
    *,
    user: User,
    key: str,
    request_fingerprint: str,
    action: Callable[[], tuple[int, Any]],
) -> StoredResponse:
    """Run `action` once per (user, key); later calls get the first (status, body)."""
    key = validate_key(key)
    existing = IdempotencyKey.objects.filter(user=user, key=key).first()
    if existing is not None:
        return _replay(existing, request_fingerprint)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Claim first: a concurrent twin now waits on the unique index until this
                # transaction commits (then replays our response) or rolls back.
                record = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    fingerprint=request_fingerprint,
                    response_status=0,
                    response_body={},
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, key=key).first()
            if existing is None or existing.response_status == 0:  # pragma: no cover
                raise Conflict(
                    "A request with this key is still in progress; retry.",
                    code="idempotency_in_progress",
                ) from None
            return _replay(existing, request_fingerprint)
        status, body = action()
        record.response_status = status
        record.response_body = body
        record.save(update_fields=["response_status", "response_body"])
    return StoredResponse(status, body, replayed=False)


def purge_expired(now: datetime | None = None) -> int:
    """Delete keys older than KEEP_FOR (for a periodic task)."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
