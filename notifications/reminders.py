"""Consultation reminders (24 h and 1 h before the start), each sent once.

Delivery lives here, in notifications, which owns every email and in-app notification;
the consultations app only says which consultations owe which reminder
(consultations.selectors.reminders) and keeps the send records (ConsultationReminder).
Nothing in consultations imports notifications.

What a reminder says is true: it states the real time left ("starts in 23 hours") and the
start in the reader's zone; a kind whose moment (start - 24 h, start - 1 h) had already
passed when the booking was made is never sent (see consultations.selectors.reminders).

Delivery protocol ("claim, then send under a lock"):

1. Claim. ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` of a ConsultationReminder row
   (status "claimed") in its own, committed transaction, BEFORE any email is built. The
   unique constraint (consultation, kind, scheduled_for) lets exactly one claimer win;
   a rerun, a second beat, an overlapping worker or a redelivered ``acks_late`` task all
   hit the conflict and skip.
2. Send. In a new transaction the winner locks its row (``SELECT ... FOR UPDATE SKIP
   LOCKED WHERE status = 'claimed'``), re-checks the consultation (still confirmed, same
   start time, still in the window), writes the in-app notifications, flips the row to
   "sent" and, last, hands the emails to the mail server; then commits. If sending
   raises, all of it rolls back and the row stays "claimed".
3. Recover. A row still "claimed" after REMINDER_RETRY_AFTER_MINUTES means its sender
   died before committing (or the mail server refused). ``retry_stale_reminders`` sends
   it again through the same locked step 2: the row lock means two sweepers never send
   it twice, and the status filter means a finished row is never resent.

At-most-once vs at-least-once: a reminder that never arrives is worse than a rare
duplicate, so we chose at-least-once for exactly one window -- a worker that dies (or a
database that fails the COMMIT) after the mail server accepted the message. Everything
else (reruns, overlaps, redelivery, crashes before or during the send) yields exactly one
email. Closing that last window would need a mail API that deduplicates by a key (we
would pass the reminder id); SMTP has none. At-most-once would be the same code with the
"sent" flip committed before sending, and a crash would then lose the reminder.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from consultations.models import Consultation, ConsultationReminder
from consultations.selectors.reminders import (
    REMINDABLE_STATUSES,
    due_reminders,
    reminder_is_due,
    reminder_was_possible,
    stale_claims,
    upcoming_counts,
)
from notifications.models import Notification
from notifications.people import display_prefs_for
from notifications.services import create_notification
from project.timefmt import format_lead, format_span_for

logger = logging.getLogger(__name__)

Status = ConsultationReminder.Status


def retry_after() -> timedelta:
    return timedelta(minutes=settings.REMINDER_RETRY_AFTER_MINUTES)


def max_attempts() -> int:
    return settings.REMINDER_MAX_ATTEMPTS


@dataclass
class ReminderRun:
    claimed: int = 0  # claims this run won
    already_claimed: int = 0  # claims another run (or an earlier one) holds
    sent: int = 0
    skipped: int = 0  # cancelled, moved or too late: recorded, never sent
    busy: int = 0  # locked by another worker right now, or already finished
    failed: int = 0  # the send raised; retried later by retry_stale_reminders

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def claim_reminder(
    *, consultation_id: int, kind: str, scheduled_for: datetime, now: datetime | None = None
) -> int | None:
    """Insert the send record; return its id, or None if someone already claimed it."""
    table = ConsultationReminder._meta.db_table
    # durable: the claim must be committed (visible to every other worker) before sending.
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (consultation_id, kind, scheduled_for, status, claimed_at, attempts, last_error)
            VALUES (%s, %s, %s, %s, %s, 0, '')
            ON CONFLICT (consultation_id, kind, scheduled_for) DO NOTHING
            RETURNING id
            """,
            [consultation_id, kind, scheduled_for, Status.CLAIMED, now or timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _stale_reason(
    consultation: Consultation | None, reminder: ConsultationReminder, now: datetime
) -> str:
    if consultation is None:
        return "consultation deleted"
    if consultation.status not in REMINDABLE_STATUSES:
        return f"consultation is {consultation.status}"
    if consultation.start_at != reminder.scheduled_for:
        return "consultation moved to another time"
    if not reminder_is_due(kind=reminder.kind, start_at=consultation.start_at, now=now):
        return "outside the reminder window"
    if not reminder_was_possible(
        kind=reminder.kind, start_at=consultation.start_at, created_at=consultation.created_at
    ):
        return "booked after this reminder's moment"
    return ""


def deliver_reminder(reminder_id: int, *, now: datetime | None = None) -> str:
    """Send one claimed reminder. Returns "sent", "skipped", "busy" or "failed"."""
    # Looked up at call time so tests can replace the transport.
    from notifications import emails

    now = now or timezone.now()
    try:
        with transaction.atomic(durable=True):
            reminder = (
                ConsultationReminder.objects.select_for_update(skip_locked=True)
                .filter(pk=reminder_id, status=Status.CLAIMED)
                .first()
            )
            if reminder is None:
                # Another worker holds the lock right now, or it was already finished.
                return "busy"
            consultation = (
                Consultation.objects.select_related("expert__user", "user")
                .filter(pk=reminder.consultation_id)
                .first()
            )
            reason = _stale_reason(consultation, reminder, now)
            if reason or consultation is None:
                reminder.status = Status.SKIPPED
                reminder.last_error = reason
                reminder.save(update_fields=["status", "last_error"])
                return "skipped"
            recipients = [consultation.user, consultation.expert.user]
            lead = consultation.start_at - now
            messages = [
                emails.reminder_email(consultation, person, kind=reminder.kind, lead=lead)
                for person in recipients
                if person.email and emails.wants_email(person, "reminder")
            ]
            # Every database write first and the email last, so that after the mail server
            # accepted it only the COMMIT itself can still fail.
            _notify_in_app(consultation, reminder.kind, lead)
            reminder.status = Status.SENT
            reminder.sent_at = timezone.now()
            reminder.attempts = F("attempts") + 1
            reminder.save(update_fields=["status", "sent_at", "attempts"])
            emails.send_messages(messages)
            return "sent"
    except Exception as exc:
        logger.exception("reminder %s could not be sent", reminder_id)
        _record_failure(reminder_id, exc)
        return "failed"


def _notify_in_app(consultation: Consultation, kind: str, lead: timedelta) -> None:
    for person in (consultation.user, consultation.expert.user):
        prefs = display_prefs_for(consultation, person)
        when = format_span_for(consultation.start_at, consultation.end_at, prefs)
        create_notification(
            recipient=person.pk,
            kind=Notification.Kind.CONSULTATION_REMINDER,
            title=f"Your consultation starts in {format_lead(lead.total_seconds())}",
            body=f"{consultation.topic} — {when}",
            data={
                "consultation_id": consultation.pk,
                "reminder": kind,
                "start_at": consultation.start_at.isoformat(),
            },
            url=f"/consultations/{consultation.pk}",
        )


def _record_failure(reminder_id: int, exc: Exception) -> None:
    # The send transaction rolled back; note the attempt separately so the retry sweep
    # waits before trying again and gives up after max_attempts().
    with transaction.atomic():
        reminder = ConsultationReminder.objects.select_for_update().filter(pk=reminder_id).first()
        if reminder is None or reminder.status != Status.CLAIMED:
            return
        reminder.attempts += 1
        reminder.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        reminder.claimed_at = timezone.now()
        if reminder.attempts >= max_attempts():
            reminder.status = Status.FAILED
        reminder.save(update_fields=["attempts", "last_error", "claimed_at", "status"])


def send_due_reminders(*, now: datetime | None = None) -> ReminderRun:
    """Claim every reminder that is due and send the ones this run won."""
    now = now or timezone.now()
    run = ReminderRun()
    for due in due_reminders(now=now):
        reminder_id = claim_reminder(
            consultation_id=due.consultation_id,
            kind=due.kind,
            scheduled_for=due.scheduled_for,
            now=now,
        )
        if reminder_id is None:
            run.add("already_claimed")
            continue
        run.add("claimed")
        run.add(deliver_reminder(reminder_id, now=now))
    return run


def retry_stale_reminders(*, now: datetime | None = None) -> ReminderRun:
    """Send reminders claimed more than retry_after() ago and never finished."""
    now = now or timezone.now()
    run = ReminderRun()
    for reminder_id in stale_claims(older_than=now - retry_after()):
        run.add(deliver_reminder(reminder_id, now=now))
    return run


def upcoming_check(*, now: datetime | None = None) -> dict[str, int]:
    """The slower safety net behind send_due_reminders (beat: check_upcoming_consultations).

    Retries stale claims, and logs how many consultations start within a day and how many
    of those the expert still has not confirmed (those will get no reminder).
    """
    now = now or timezone.now()
    result = {f"retry_{k}": v for k, v in retry_stale_reminders(now=now).as_dict().items()}
    counts = upcoming_counts(now=now, within=timedelta(hours=24))
    result.update(counts)
    if counts["pending_within_24h"]:
        logger.info(
            "%s consultations start within 24h and are still unconfirmed",
            counts["pending_within_24h"],
        )
    return result
