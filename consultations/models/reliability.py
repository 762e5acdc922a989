"""Reliability signals measured from what an expert did (consultations.services.reliability)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class ExpertReliability(models.Model):
    """The last computation over the trailing window (90 days); one row per expert.

    Counts are kept next to the figures so the profile can say "9 of 10" and the ranking can
    tell "no data" from "bad".
    """

    expert = models.OneToOneField(
        "consultations.Expert",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="reliability",
    )
    computed_at = models.DateTimeField()
    window_days = models.PositiveSmallIntegerField()

    # Chat: client's first message in a conversation (in the window) -> expert's first reply.
    conversations_measured = models.PositiveIntegerField(default=0)
    conversations_unanswered = models.PositiveIntegerField(default=0)
    # None: nothing measured, or more than half were never answered.
    median_first_response_seconds = models.PositiveIntegerField(null=True, blank=True)

    # Calls that were due in the window and where the expert's joining is known.
    calls_measured = models.PositiveIntegerField(default=0)
    calls_on_time = models.PositiveIntegerField(default=0)

    sessions_due = models.PositiveIntegerField(default=0)
    late_cancellations = models.PositiveIntegerField(default=0)
    expert_no_shows = models.PositiveIntegerField(default=0)

    # Added to average_rating in the expert list's default order (0: too little data).
    ranking_adjustment = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0"))

    class Meta:
        verbose_name = "expert reliability"
        verbose_name_plural = "expert reliability"

    def __str__(self) -> str:
        return f"Reliability of expert {self.expert_id} at {self.computed_at:%Y-%m-%d %H:%M} UTC"
