"""Writes of notifications. Each one is pushed live after the transaction commits."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.selectors import notification_get, unread_count
from notifications.serializers import NotificationSerializer
from project.compiled import CompiledInsert
from realtime.events import publish_to_user

EVENT_CREATED = "notification.created"
EVENT_READ = "notification.read"

# Compiled once per process (project/compiled.py): every booking's follow-up writes one.
_INSERT: CompiledInsert[Notification] = CompiledInsert(Notification)


def create_notification(
    *,
    recipient: User | int,
    kind: str,
    title: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    url: str = "",
) -> Notification:
    recipient_id = recipient if isinstance(recipient, int) else recipient.pk
    with transaction.atomic():
        notification = _INSERT.insert(
            Notification(
                recipient_id=recipient_id,
                kind=kind,
                title=title[:200],
                body=body,
                data=data or {},
                url=url[:500],
            )
        )
        payload = dict(NotificationSerializer(notification).data)
        # The badge count travels with the event, so a client never refetches for it.
        payload["unread_count"] = unread_count(user_id=recipient_id)
        publish_to_user(recipient_id, EVENT_CREATED, payload)
    return notification


def mark_read(*, user: User, notification_id: int) -> Notification:
    with transaction.atomic():
        notification = notification_get(user=user, notification_id=notification_id)
        if notification.read_at is None:
            # The filter makes a concurrent second click a no-op rather than a new timestamp.
            now = timezone.now()
            updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=now
            )
            notification.refresh_from_db(fields=["read_at"])
            if updated:
                _publish_read(user, [notification.pk])
    return notification


def mark_all_read(*, user: User) -> int:
    with transaction.atomic():
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
        ids = list(unread.values_list("pk", flat=True))
        marked = unread.filter(pk__in=ids).update(read_at=timezone.now()) if ids else 0
        if marked:
            _publish_read(user, ids)
    return marked


def _publish_read(user: User, ids: list[int]) -> None:
    # Other open tabs clear their badge without polling.
    publish_to_user(
        user.pk, EVENT_READ, {"ids": ids, "unread_count": unread_count(user_id=user.pk)}
    )
