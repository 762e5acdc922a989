from __future__ import annotations

from django.db import models
from django.db.models import F, Q


class ExpertAvailability(models.Model):
    """A weekly rule, in the expert's own IANA time zone (wall-clock times)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    expert = models.ForeignKey(
        "consultations.Expert", on_delete=models.CASCADE, related_name="availability_rules"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        verbose_name = "weekly hours"
        verbose_name_plural = "expert availability (weekly hours)"
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="availability_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="availability_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.start_time:%H:%M} to {self.end_time:%H:%M}"
            f" ({self.expert})"
        )


class ExpertUnavailability(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        VACATION = "vacation", "Vacation"
        ONE_OFF = "one_off", "One-off"

    expert = models.ForeignKey(
        "consultations.Expert", on_delete=models.CASCADE, related_name="unavailability"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ONE_OFF)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "time off"
        verbose_name_plural = "time off"
        ordering = ["start_at"]
        indexes = [models.Index(fields=["expert", "start_at", "end_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="unavailability_end_after_start"
            )
        ]


class ExpertDateOverride(models.Model):
    """Hours for one date in the expert's zone that replace the weekly rules of that date.

    `windows` is a list of {"start_time": "HH:MM", "end_time": "HH:MM"} wall-clock ranges
    ("24:00" = end of day), sorted and non-overlapping; an empty list means closed all day.
    """

    expert = models.ForeignKey(
        "consultations.Expert", on_delete=models.CASCADE, related_name="date_overrides"
    )
    date = models.DateField()
    windows = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "date"], name="date_override_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} {self.date}: {self.windows or 'closed'}"
