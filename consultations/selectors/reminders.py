"""Which consultations owe which reminder right now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef

from consultations.models import Consultation, ConsultationReminder

Kind = ConsultationReminder.Kind

# Each reminder is due from `lead` before the start until the next, shorter reminder takes
# over: a 24h reminder that could not go out in time is pointless once the 1h one is due.
REMINDER_WINDOWS: dict[str, tuple[timedelta, timedelta]] = {
    Kind.DAY_BEFORE: (timedelta(hours=24), timedelta(hours=1)),
    Kind.HOUR_BEFORE: (timedelta(hours=1), timedelta(0)),
}
# Pending consultations get none: the expert has not accepted, so there is nothing to
# remind of yet (the expert's confirmation email carries the invite instead).
REMINDABLE_STATUSES = (Consultation.Status.CONFIRMED,)


@dataclass(frozen=True)
class DueReminder:
    consultation_id: int
    kind: str
    scheduled_for: datetime


def reminder_is_due(*, kind: str, start_at: datetime, now: datetime) -> bool:
    lead, until = REMINDER_WINDOWS[kind]
    return start_at - lead <= now < start_at - until


def reminder_was_possible(*, kind: str, start_at: datetime, created_at: datetime) -> bool:
    """A reminder kind is owed only if the booking existed at its moment (start - lead).

    Booked 5 hours ahead, a consultation never gets the "24 hours" reminder: sending it late
    would be a false label, and the confirmation already told the time. (A rescheduled
    consultation is a new row, so the rule applies from the moment it was moved.)
    """
    lead, _ = REMINDER_WINDOWS[kind]
    return created_at <= start_at - lead


def due_reminders(*, now: datetime, limit: int = 500) -> list[DueReminder]:
    """Reminders to claim now: in their window, and with no record for this start time yet."""
    due: list[DueReminder] = []
    for kind, (lead, until) in REMINDER_WINDOWS.items():
        already = ConsultationReminder.objects.filter(
            consultation=OuterRef("pk"), kind=kind, scheduled_for=OuterRef("start_at")
        )
        rows = (
            Consultation.objects.filter(
                status__in=REMINDABLE_STATUSES,
                start_at__gt=now + until,
                start_at__lte=now + lead,
                # Booked after this kind's moment: never owed (reminder_was_possible).
                created_at__lte=F("start_at") - lead,
            )
            .filter(~Exists(already))
            .order_by("start_at")
            .values_list("pk", "start_at")[:limit]
        )
        due.extend(DueReminder(pk, kind, start_at) for pk, start_at in rows)
    return due


def stale_claims(*, older_than: datetime, limit: int = 100) -> list[int]:
    """Claimed reminders whose sender never finished (worker killed, mail server down)."""
    return list(
        ConsultationReminder.objects.filter(
            status=ConsultationReminder.Status.CLAIMED, claimed_at__lte=older_than
        )
        .order_by("claimed_at")
        .values_list("pk", flat=True)[:limit]
    )


def upcoming_counts(*, now: datetime, within: timedelta) -> dict[str, int]:
    soon = Consultation.objects.filter(start_at__gt=now, start_at__lte=now + within)
    return {
        "confirmed_within_24h": soon.filter(status=Consultation.Status.CONFIRMED).count(),
        "pending_within_24h": soon.filter(status=Consultation.Status.PENDING).count(),
    }
