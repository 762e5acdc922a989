"""Meeting lifecycle: start, end, and closing meetings nobody closed.

Transitions (each under a row lock, so two clicks or a click racing the cleanup task
cannot both win):

- start: confirmed, inside the join window, not started yet -> meeting_started_at = now.
- end:   confirmed and started -> status completed, meeting_ended_at = completed_at = now.

close_stale_meetings(now) rules, applied once a consultation can no longer be joined:

- confirmed, end + JITSI_GRACE_AFTER_MINUTES passed, meeting started but never ended
  -> completed; meeting_ended_at = completed_at = the last time the call page saw anyone
  in the call, else the scheduled end (the real end is
  unknown and the scheduled end is the honest upper bound of what was booked).
- confirmed, end + grace passed: attendance reported by the call page decides (see
  _close_confirmed): an expert who never joined -> cancelled with a full refund due; a
  client who never joined -> no_show under the booking's policy; without any report, a
  never-started meeting is the expert's no-show.
- pending (never confirmed) whose scheduled end passed -> cancelled with reason
  "expired unconfirmed" and a full refund due, since the expert never accepted it.

Both go through the one cancellation path (services/cancellation.settle), like every
other cancellation, so payment status, refund amount and ledger follow the same rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consultations import policies, signals
from consultations.models import Consultation
from consultations.policies import Cause
from consultations.services import attendance, cancellation
from consultations.services.jitsi import JitsiService
from project.api_errors import Conflict, NotAllowed, NotFound
from realtime.events import publish_to_users

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

EXPIRED_UNCONFIRMED_REASON = cancellation.DEFAULT_REASONS[Cause.EXPIRED]


def meeting_event_data(consultation: Consultation, **extra: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "consultation_id": consultation.pk,
        "status": consultation.status,
        "room": consultation.meeting_room_id,
        "meeting_started_at": iso(consultation.meeting_started_at),
        "meeting_ended_at": iso(consultation.meeting_ended_at),
        **extra,
    }


def _lock(consultation_id: int) -> Consultation:
    # of=("self",): lock only the consultation row, not the joined expert.
    row = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("expert")
        .filter(pk=consultation_id)
        .first()
    )
    if row is None:
        raise NotFound("Consultation not found.")
    return row


def _send_status_changed(
    consultation: Consultation, old_status: str, actor: User | None, change: str
) -> None:
    transaction.on_commit(
        partial(
            signals.consultation_status_changed.send,
            sender=Consultation,
            consultation=consultation,
            old_status=old_status,
            new_status=consultation.status,
            actor=actor,
            change=change,
        )
    )


def start_meeting(
    *, consultation: Consultation, user: User, now: datetime | None = None
) -> Consultation:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(consultation.pk)
        JitsiService.validate_meeting_access(user, locked, now=now)
        if locked.meeting_started_at is not None:
            raise Conflict(
                "The meeting has already started.",
                code="meeting_already_started",
                extra={"meeting_started_at": locked.meeting_started_at.isoformat()},
            )
        locked.meeting_started_at = now
        locked.meeting_started_by = user
        locked.save(update_fields=["meeting_started_at", "meeting_started_by", "updated_at"])
        publish_to_users(
            locked.participant_ids,
            "meeting.started",
            meeting_event_data(locked, started_by=user.id),
        )
        transaction.on_commit(
            partial(
                signals.meeting_started.send, sender=Consultation, consultation=locked, actor=user
            )
        )
    return locked


# The end button can record the other side's no-show only this long after the start.
NO_SHOW_WAIT = timedelta(minutes=10)


def _missing_party(c: Consultation, now: datetime, *, present_user_id: int) -> str | None:
    """Who never joined, by the call page's reports ('client' | 'expert' | None).

    Whoever presses the button, or started the meeting, is there. Without any report (an
    old page, the call opened elsewhere) nothing can be said: None, as before.
    """
    seen = attendance.summary(c, now=now)
    if not (seen["expert_joined"] or seen["client_joined"]):
        return None
    present = {present_user_id, c.meeting_started_by_id}
    if not (seen["expert_joined"] or c.expert.user_id in present):
        return "expert"
    if not (seen["client_joined"] or c.user_id in present):
        return "client"
    return None


def end_meeting(
    *,
    consultation: Consultation,
    user: User,
    now: datetime | None = None,
    zone: str | None = None,
) -> Consultation:
    """End the call. Both were there (or nothing was reported): completed. One side never
    joined: from NO_SHOW_WAIT after the start it is that side's no-show (the one
    cancellation path: an expert no-show refunds in full, a client no-show follows the
    booking's policy); before that, 409 `not_joined_yet` with the time in `zone`."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(consultation.pk)
        if not JitsiService.is_participant(user, locked):
            raise NotAllowed(
                "Only the client and the expert of this consultation can end its meeting.",
                code="not_participant",
            )
        if locked.status == Consultation.Status.COMPLETED:
            raise Conflict("The meeting has already ended.", code="meeting_already_ended")
        if locked.status != Consultation.Status.CONFIRMED:
            raise NotAllowed(
                f"A {locked.get_status_display().lower()} consultation has no meeting to end.",
                code="not_confirmed",
                extra={"status": locked.status},
            )
        if locked.meeting_started_at is None:
            raise Conflict(
                "The meeting has not started yet, so it cannot be ended.",
                code="meeting_not_started",
            )
        missing = _missing_party(locked, now, present_user_id=user.pk)
        if missing is not None:
            # Someone never came: not a completed session. The no-show rules decide, once
            # the other side has had NO_SHOW_WAIT to turn up.
            waited_until = locked.start_at + NO_SHOW_WAIT
            who = locked.expert.name if missing == "expert" else "Your client"
            if missing == "client" and user.pk == locked.user_id:
                who = "You"
            if now < waited_until:
                raise Conflict(
                    f"{who} has not joined the call yet. If nobody comes, you can end it as a "
                    f"missed call from {policies.format_instant(waited_until, zone)}.",
                    code="not_joined_yet",
                    extra={"no_show_from": waited_until.isoformat(), "missing": missing},
                )
            attendance.close_all_open(locked, now, "meeting_ended")
            cause = Cause.EXPERT_NO_SHOW if missing == "expert" else Cause.CLIENT_NO_SHOW
            cancellation.settle(locked, cause=cause, actor=user, now=now)
            locked.meeting_ended_at = now
            locked.save(update_fields=["meeting_ended_at", "updated_at"])
            publish_to_users(
                locked.participant_ids,
                "meeting.ended",
                meeting_event_data(locked, ended_by=user.id, reason="ended"),
            )
            return locked
        old_status = locked.status
        attendance.close_all_open(locked, now, "meeting_ended")
        locked.status = Consultation.Status.COMPLETED
        locked.meeting_ended_at = now
        locked.completed_at = now
        locked.save(update_fields=["status", "meeting_ended_at", "completed_at", "updated_at"])
        publish_to_users(
            locked.participant_ids,
            "meeting.ended",
            meeting_event_data(locked, ended_by=user.id, reason="ended"),
        )
        _send_status_changed(locked, old_status, user, "completed")
    return locked


@dataclass
class StaleMeetingsResult:
    completed: int = 0
    no_show: int = 0
    expired: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"completed": self.completed, "no_show": self.no_show, "expired": self.expired}


def _stale_confirmed_filter(now: datetime) -> Q:
    grace = timedelta(minutes=settings.JITSI_GRACE_AFTER_MINUTES)
    return Q(status=Consultation.Status.CONFIRMED, end_at__lte=now - grace)


def _expired_pending_filter(now: datetime) -> Q:
    return Q(status=Consultation.Status.PENDING, end_at__lte=now)


def close_stale_meetings(now: datetime | None = None) -> StaleMeetingsResult:
    """Apply the module's cleanup rules to every consultation they cover; idempotent.

    Each row is closed in its own transaction under a SKIP LOCKED row lock: a row that a
    participant is ending right now is left for the next run instead of being closed twice,
    and one bad row cannot roll back the others.
    """
    now = now or timezone.now()
    result = StaleMeetingsResult()
    rules = _stale_confirmed_filter(now) | _expired_pending_filter(now)
    candidate_ids = list(
        Consultation.objects.filter(rules).order_by("end_at").values_list("pk", flat=True)
    )
    for pk in candidate_ids:
        with transaction.atomic():
            row = (
                Consultation.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("expert")
                .filter(rules, pk=pk)
                .first()
            )
            if row is None:  # changed or locked since the candidate query
                continue
            if row.status == Consultation.Status.PENDING:
                _expire_unconfirmed(row, now)
                result.expired += 1
            elif _close_confirmed(row, now) == "completed":
                result.completed += 1
            else:
                result.no_show += 1
    if candidate_ids:
        logger.info("closed stale meetings: %s", result.as_dict())
    return result


def _close_confirmed(row: Consultation, now: datetime) -> str:
    """After the grace period: who was there decides (attendance first, buttons second).

    - reports from the call page exist: the expert never joined (and did not press start)
      -> expert no-show, full refund; the client never joined -> client no-show, the
      booking's policy applies; both joined -> completed;
    - no reports at all (an old page, the call opened in another tab): started -> completed,
      never started -> expert no-show, as before attendance was reported.
    """
    closes_at = row.end_at + timedelta(minutes=settings.JITSI_GRACE_AFTER_MINUTES)
    attendance.close_all_open(row, closes_at, "cleanup")
    seen = attendance.summary(row, now=closes_at)
    started_by = row.meeting_started_by_id
    expert_there = seen["expert_joined"] or started_by == row.expert.user_id
    client_there = seen["client_joined"] or started_by == row.user_id
    if not (seen["expert_joined"] or seen["client_joined"]):
        if row.meeting_started_at is None:
            cancellation.settle(row, cause=Cause.EXPERT_NO_SHOW, actor=None, now=now)
            return "no_show"
    elif not expert_there:
        cancellation.settle(row, cause=Cause.EXPERT_NO_SHOW, actor=None, now=now)
        return "no_show"
    elif not client_there:
        cancellation.settle(row, cause=Cause.CLIENT_NO_SHOW, actor=None, now=now)
        return "no_show"
    _complete_unended(row, seen)
    return "completed"


def _complete_unended(row: Consultation, seen: dict[str, Any] | None = None) -> None:
    old_status = row.status
    row.status = Consultation.Status.COMPLETED
    # The last time anyone was seen in the call, else the scheduled end (an upper bound).
    last_seen = max(
        (i["left_at"] for i in (seen or {}).get("intervals", []) if i["left_at"]), default=None
    )
    ended = datetime.fromisoformat(last_seen) if last_seen else row.end_at
    row.meeting_ended_at = row.meeting_ended_at or ended
    row.completed_at = ended
    row.save(update_fields=["status", "meeting_ended_at", "completed_at", "updated_at"])
    publish_to_users(
        row.participant_ids,
        "meeting.ended",
        meeting_event_data(row, ended_by=None, reason="timed_out"),
    )
    _send_status_changed(row, old_status, None, "completed")


def _expire_unconfirmed(row: Consultation, now: datetime) -> None:
    cancellation.settle(row, cause=Cause.EXPIRED, actor=None, now=now)
