from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One in-app notification for one user; also pushed live as `notification.created`."""

    class Kind(models.TextChoices):
        CONSULTATION_CREATED = "consultation.created", "New booking"
        CONSULTATION_CONFIRMED = "consultation.confirmed", "Booking confirmed"
        CONSULTATION_CANCELLED = "consultation.cancelled", "Booking cancelled"
        CONSULTATION_RESCHEDULED = "consultation.rescheduled", "Booking rescheduled"
        CONSULTATION_COMPLETED = "consultation.completed", "Consultation completed"
        CONSULTATION_NO_SHOW = "consultation.no_show", "Marked as no-show"
        CONSULTATION_REMINDER = "consultation.reminder", "Consultation reminder"
        APPLICATION_SUBMITTED = "application.submitted", "Expert application submitted"
        APPLICATION_REVIEWED = "application.reviewed", "Expert application reviewed"
        EXPERT_STATUS_CHANGED = "expert.status_changed", "Expert status changed"
        CHAT_MESSAGE = "chat.message", "New chat message"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # A path inside the app (the SPA's router), not an absolute URL.
    url = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The unread badge and the "unread only" filter.
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read_idx"),
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
