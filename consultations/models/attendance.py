"""Who was in a consultation's video call, and when (reported by the call page)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AttendanceInterval(models.Model):
    """One participant in the call from one socket: [joined_at, left_at).

    Times are the server's clock when the report arrived, never the browser's. A socket
    has at most one open interval per consultation (a repeated "joined" is a no-op);
    "left", the socket closing, the meeting ending or the cleanup close it.
    """

    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        EXPERT = "expert", "Expert"

    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="attendance"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    connection_id = models.CharField(max_length=200)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    # Why it closed: left | socket_closed | meeting_ended | cleanup
    closed_by = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["consultation", "user"])]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "connection_id"],
                condition=Q(left_at__isnull=True),
                name="attendance_one_open_interval_per_socket",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("joined_at")),
                name="attendance_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} in #{self.consultation_id} {self.joined_at:%H:%M}-{self.left_at or ''}"
