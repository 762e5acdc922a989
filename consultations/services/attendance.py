"""Attendance from the call itself: join/leave reports from the video page.

The call page reports Jitsi's `videoConferenceJoined` / `videoConferenceLeft` over the
/ws/ socket (`meeting.presence`, consultations/socket_handlers.py); a socket that closes
closes its open intervals. Each report is stamped with the server's clock. `summary()`
turns the intervals into minutes per participant and minutes both were present (union per
person, then intersection; consultations/intervals.py), clipped to the join window.

The first join also starts the meeting (as the start button does), so the buttons stay a
fallback. The cleanup task reads the intervals to tell who did not show
(services/meetings.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations import intervals
from consultations.models import AttendanceInterval, Consultation
from consultations.services.jitsi import JitsiService
from project.api_errors import NotFound
from realtime.events import publish_to_users

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MEETING_PRESENCE = "meeting.presence"
Role = AttendanceInterval.Role


def window(c: Consultation) -> tuple[datetime, datetime]:
    return (
        c.start_at - timedelta(minutes=settings.JITSI_JOIN_BEFORE_MINUTES),
        c.end_at + timedelta(minutes=settings.JITSI_GRACE_AFTER_MINUTES),
    )


def role_of(c: Consultation, user: User) -> str | None:
    if user.pk == c.user_id:
        return Role.CLIENT
    if user.pk == c.expert.user_id:
        return Role.EXPERT
    return None


def summary(
    c: Consultation, *, now: datetime | None = None, rows: list[AttendanceInterval] | None = None
) -> dict[str, Any]:
    """Minutes each side was in the call and minutes both were, from the stored intervals."""
    now = now or timezone.now()
    lo, hi = window(c)
    cap = max(lo, min(now, hi))
    if rows is None:
        rows = list(c.attendance.all())
    spans: dict[str, list[intervals.Interval]] = {Role.CLIENT: [], Role.EXPERT: []}
    present: dict[str, bool] = {Role.CLIENT: False, Role.EXPERT: False}
    for row in rows:
        if row.left_at is None:
            present[row.role] = True
        spans[row.role].append((row.joined_at, row.left_at or cap))
    clipped = {role: intervals.clip(v, lo, hi) for role, v in spans.items()}
    both = intervals.intersection(clipped[Role.CLIENT], clipped[Role.EXPERT])
    return {
        "client_minutes": intervals.minutes(intervals.total(clipped[Role.CLIENT])),
        "expert_minutes": intervals.minutes(intervals.total(clipped[Role.EXPERT])),
        "both_minutes": intervals.minutes(intervals.total(both)),
        "client_joined": bool(spans[Role.CLIENT]),
        "expert_joined": bool(spans[Role.EXPERT]),
        "client_present": present[Role.CLIENT],
        "expert_present": present[Role.EXPERT],
        "intervals": [
            {
                "role": row.role,
                "joined_at": row.joined_at.isoformat(),
                "left_at": row.left_at.isoformat() if row.left_at else None,
            }
            for row in rows
        ],
    }


def _lock(consultation_id: int) -> Consultation:
    row = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("expert", "user")
        .filter(pk=consultation_id)
        .first()
    )
    if row is None:
        raise NotFound("Consultation not found.")
    return row


def _announce(c: Consultation, user_id: int, role: str, state: str, now: datetime) -> None:
    s = summary(c, now=now)
    s.pop("intervals")
    publish_to_users(
        c.participant_ids,
        MEETING_PRESENCE,
        {"consultation_id": c.pk, "user_id": user_id, "role": role, "state": state, **s},
    )


def report_join(
    *, consultation_id: int, user: User, connection_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """Open an interval for this socket (no-op if one is open); may start the meeting."""
    from consultations.services.meetings import meeting_event_data

    now = now or timezone.now()
    with transaction.atomic():
        c = _lock(consultation_id)
        JitsiService.validate_meeting_access(user, c, now=now)
        role = role_of(c, user)
        assert role is not None  # validate_meeting_access refused outsiders
        open_row = AttendanceInterval.objects.filter(
            consultation=c, connection_id=connection_id, left_at__isnull=True
        ).first()
        if open_row is None:
            try:
                with transaction.atomic():
                    AttendanceInterval.objects.create(
                        consultation=c,
                        user=user,
                        role=role,
                        connection_id=connection_id,
                        joined_at=now,
                    )
            except IntegrityError:
                pass  # the same socket reported twice at once: one interval is enough
            else:
                if c.meeting_started_at is None:
                    c.meeting_started_at = now
                    c.meeting_started_by = user
                    c.save(update_fields=["meeting_started_at", "meeting_started_by", "updated_at"])
                    publish_to_users(
                        c.participant_ids,
                        "meeting.started",
                        meeting_event_data(c, started_by=user.pk),
                    )
                _announce(c, user.pk, role, "joined", now)
        return summary(c, now=now)


def report_leave(
    *,
    consultation_id: int,
    user: User,
    connection_id: str,
    closed_by: str = "left",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Close this socket's open interval (no-op if none)."""
    now = now or timezone.now()
    with transaction.atomic():
        c = _lock(consultation_id)
        role = role_of(c, user)
        if role is None:
            raise NotFound("Consultation not found.")
        closed = AttendanceInterval.objects.filter(
            consultation=c, user=user, connection_id=connection_id, left_at__isnull=True
        ).update(left_at=now, closed_by=closed_by)
        if closed:
            _announce(c, user.pk, role, "left", now)
        return summary(c, now=now)


def close_connection(*, user: User, connection_id: str, now: datetime | None = None) -> int:
    """The socket closed: close every interval it had open. Returns how many."""
    now = now or timezone.now()
    ids = set(
        AttendanceInterval.objects.filter(
            user=user, connection_id=connection_id, left_at__isnull=True
        ).values_list("consultation_id", flat=True)
    )
    for consultation_id in ids:
        report_leave(
            consultation_id=consultation_id,
            user=user,
            connection_id=connection_id,
            closed_by="socket_closed",
            now=now,
        )
    return len(ids)


def close_all_open(c: Consultation, at: datetime, closed_by: str) -> None:
    """The meeting is over: close whatever is still open (caller holds the row lock)."""
    for row in AttendanceInterval.objects.filter(consultation=c, left_at__isnull=True):
        row.left_at = max(at, row.joined_at)
        row.closed_by = closed_by
        row.save(update_fields=["left_at", "closed_by"])
