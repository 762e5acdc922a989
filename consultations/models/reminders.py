from __future__ import annotations

from django.db import models
from django.utils import timezone


class ConsultationReminder(models.Model):
    """The send record of one reminder, written (claimed) BEFORE the email goes out.

    The unique constraint on (consultation, kind, scheduled_for) is what makes a reminder
    go out at most once per start time, whatever the number of workers or task runs;
    `scheduled_for` is the start time the reminder was computed for, so a consultation
    whose time moves gets fresh reminders while stale ones are never sent.
    See notifications/reminders.py for the delivery protocol.
    """

    class Kind(models.TextChoices):
        DAY_BEFORE = "24h", "24 hours before"
        HOUR_BEFORE = "1h", "1 hour before"

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Claimed, not yet sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (cancelled, moved or too late)"
        FAILED = "failed", "Failed (gave up)"

    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices)
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    claimed_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scheduled_for", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "kind", "scheduled_for"],
                name="one_reminder_per_consultation_kind_start",
            )
        ]
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="reminder_status_claimed_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for consultation {self.consultation_id} ({self.status})"
