from __future__ import annotations

from decimal import Decimal
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from consultations.policies import DEFAULT_TEMPLATE, TEMPLATE_CHOICES

# Sides in pixels of the square WebP files an uploaded photo is stored as.
PHOTO_SIZE = 512
PHOTO_THUMB_SIZE = 128


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"'{value}' is not a known IANA time zone.")


def default_session_lengths() -> list[int]:
    return [30, 60]


class ExpertiseArea(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    code = models.CharField(max_length=12, unique=True)  # BCP 47, e.g. "en", "pt-BR"
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Expert(models.Model):
    class VerificationStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        UNDER_REVIEW = "under_review", "Under review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUSPENDED = "suspended", "Suspended"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    name = models.CharField(max_length=150)
    headline = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    avatar_url = models.URLField(blank=True)
    # Random stem of the uploaded photo's files (services.expert_photo); blank when none.
    # An uploaded photo wins over avatar_url. A new upload gets a new key, so the files'
    # URLs can be cached for ever.
    photo_key = models.CharField(max_length=32, blank=True, editable=False)
    expertise_areas = models.ManyToManyField(ExpertiseArea, related_name="experts", blank=True)
    languages = models.ManyToManyField(Language, related_name="experts", blank=True)
    hourly_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default="USD")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    # Scheduling settings (all in minutes unless said otherwise).
    session_lengths = models.JSONField(default=default_session_lengths)
    slot_interval_minutes = models.PositiveSmallIntegerField(default=30)
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    min_notice_minutes = models.PositiveIntegerField(default=120)
    max_bookings_per_day = models.PositiveSmallIntegerField(default=8)
    booking_horizon_days = models.PositiveSmallIntegerField(default=60)

    # Denormalised "soonest free slot", refreshed by the scheduling service after every
    # change that can move it, so the list can order by it with one indexed query.
    next_available_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # Cancellation policy offered to new bookings (consultations.policies.TEMPLATES); each
    # booking keeps a snapshot of what was in force when it was made.
    cancellation_policy = models.CharField(
        max_length=20, choices=TEMPLATE_CHOICES, default=DEFAULT_TEMPLATE
    )
    reschedule_cutoff_hours = models.PositiveSmallIntegerField(default=24)
    max_reschedules = models.PositiveSmallIntegerField(default=2)

    # Visible reviews only. The sum is kept so the average is exact after each F() update
    # (consultations.services.reviews); average_rating stays a column for ordering/filters.
    average_rating = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0"))
    review_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)

    verification_status = models.CharField(
        max_length=20, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    verification_submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_notes = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-average_rating", "id"]
        indexes = [
            models.Index(fields=["verification_status", "-average_rating"]),
            models.Index(fields=["verification_status", "hourly_rate"]),
            models.Index(fields=["name"]),
        ]

    def __str__(self) -> str:
        return self.name

    def picture_url(self, *, thumb: bool = False) -> str | None:
        """The picture to show: the uploaded photo (512 or 128 px), else the linked one."""
        if self.photo_key:
            size = PHOTO_THUMB_SIZE if thumb else PHOTO_SIZE
            return reverse("expert-photo", args=[f"{self.photo_key}-{size}.webp"])
        return self.avatar_url or None

    @property
    def is_verified(self) -> bool:
        return self.verification_status == self.VerificationStatus.APPROVED
