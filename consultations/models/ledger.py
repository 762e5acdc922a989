"""What each booking means in money, entry by entry, and who did what to a booking.

No entry claims money moved: amounts are *due* (owed by the client to the expert) or owed
back. Whether money actually moved is `Consultation.payment_status`, reported by the
payment provider (consultations/services/payments.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        DUE = "due", "Due"  # + the price, when booked (or carried over by a move)
        REFUND = "refund", "Refund due"  # - what the policy gives back
        WAIVED = "waived", "Waived"  # - the fee the expert chose not to keep
        MOVED = "moved", "Moved"  # - the price, carried to the new booking

    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="ledger_entries"
    )
    # Denormalised for earnings queries by expert.
    expert = models.ForeignKey(
        "consultations.Expert", on_delete=models.CASCADE, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Signed: what this entry adds to (or takes from) what the client owes the expert.
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["expert", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} (#{self.consultation_id})"


class BookingAuditLog(models.Model):
    """Every deliberate exception to the rules: policy waivers, policy changes, hidden reviews."""

    consultation = models.ForeignKey(
        "consultations.Consultation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_entries",
    )
    expert = models.ForeignKey(
        "consultations.Expert", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"
