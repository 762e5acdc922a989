from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from consultations.policies import default_snapshot

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Consultation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No show"

    # Statuses that hold the expert's time; the exclusion constraint covers only these.
    ACTIVE_STATUSES = (Status.PENDING, Status.CONFIRMED)
    # What every way of cancelling (by a side, by a reschedule, by expiry) writes.
    CANCELLATION_FIELDS = (
        "status",
        "cancelled_at",
        "cancelled_by",
        "cancellation_reason",
        "payment_status",
        "refund_amount",
        "cancellation_cause",
        "no_show_party",
        "updated_at",
    )

    class NoShowParty(models.TextChoices):
        NONE = "", "Nobody"
        CLIENT = "client", "The client"
        EXPERT = "expert", "The expert"

    class PaymentStatus(models.TextChoices):
        # Honest states: nothing here claims money moved unless a provider said so.
        NOT_REQUIRED = "not_required", "Free"
        UNPAID = "unpaid", "Awaiting payment"
        PAID = "paid", "Paid"
        REFUND_DUE = "refund_due", "Refund due"
        REFUNDED = "refunded", "Refunded"
        NOT_REFUNDABLE = "not_refundable", "Not refundable"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultations"
    )
    expert = models.ForeignKey(
        "consultations.Expert", on_delete=models.CASCADE, related_name="consultations"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    # The interval the expert is busy, buffers included; the DB exclusion constraint uses it.
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    topic = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # The IANA zone the client booked from (the one the booking page showed the slot in);
    # messages to a client who never chose a zone in their settings use it.
    client_timezone = models.CharField(max_length=64, blank=True)

    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="USD")
    payment_status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )

    meeting_room_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    meeting_started_at = models.DateTimeField(null=True, blank=True)
    meeting_ended_at = models.DateTimeField(null=True, blank=True)
    # Who started the call (the start button, or the first join reported by the call page).
    meeting_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rescheduled_to"
    )
    # What the policy says is owed back after a cancellation (None until cancelled).
    refund_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # consultations.policies.Cause of the cancellation or no-show ("" while it holds time).
    cancellation_cause = models.CharField(max_length=20, blank=True)
    no_show_party = models.CharField(
        max_length=10, choices=NoShowParty.choices, blank=True, default=NoShowParty.NONE
    )

    # The expert's cancellation policy as it was when this booking was made.
    policy = models.JSONField(default=default_snapshot)
    # Moves made by the client (the policy caps them; the expert's own moves are free).
    reschedule_count = models.PositiveSmallIntegerField(default=0)
    policy_waived_at = models.DateTimeField(null=True, blank=True)
    policy_waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    policy_waiver_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_at"]
        indexes = [
            models.Index(fields=["expert", "status", "start_at"]),
            models.Index(fields=["user", "status", "start_at"]),
            models.Index(fields=["status", "start_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="consultation_end_after_start"
            ),
        ]
        # The no-double-booking EXCLUDE constraint is PostgreSQL-only and lives in a
        # migration (0002_no_double_booking) so the SQLite fallback still migrates.

    def __str__(self) -> str:
        return (
            f"{self.topic or 'Consultation'} with {self.expert} on "
            f"{self.start_at:%Y-%m-%d %H:%M} UTC ({self.get_status_display().lower()})"
        )

    @property
    def participant_ids(self) -> tuple[int, int]:
        return (self.user_id, self.expert.user_id)

    @property
    def duration_minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)

    # The policy itself lives in consultations.policies; these are the model's faces of it.
    def can_be_cancelled(self, now: datetime | None = None) -> bool:
        from consultations import policies

        return policies.can_be_cancelled(self, now)

    def can_be_rescheduled(self, by: User | None = None, now: datetime | None = None) -> bool:
        from consultations import policies

        return policies.can_be_rescheduled(self, by, now)
