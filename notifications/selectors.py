"""Reads of notifications; every query is scoped to its owner."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from notifications.models import Notification
from project.api_errors import NotFound
from project.prepared import prepared_cursor


def notification_list(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def _unread_sql() -> str:
    meta = Notification._meta
    recipient, read_at = meta.get_field("recipient").column, meta.get_field("read_at").column
    return (
        f'SELECT COUNT(*) FROM "{meta.db_table}" WHERE "{recipient}" = %s AND "{read_at}" IS NULL'
    )


# Every new notification sends its recipient's count along; compiling the ORM's COUNT cost
# more than running it (a booking's follow-ups, issue 12), and the text never changes, so
# PostgreSQL prepares it once per connection.
_UNREAD_SQL = _unread_sql()


def unread_count(*, user_id: int) -> int:
    with prepared_cursor() as cursor:
        cursor.execute(_UNREAD_SQL, [user_id])
        return int(cursor.fetchone()[0])


def notification_get(*, user: User, notification_id: int) -> Notification:
    # Someone else's notification is "not found", never "forbidden": ids must not leak.
    notification = Notification.objects.filter(recipient=user, pk=notification_id).first()
    if notification is None:
        raise NotFound("Notification not found.", code="not_found")
    return notification
