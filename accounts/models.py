"""A profile per user (how times are shown, which emails to send) and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """Preferences of one person. Created with the user (and by migration 0002 for old ones).

    `timezone` is an IANA name detected by the browser at sign-up and editable in the
    account settings; blank means "never chosen" and then the expert's working zone (for
    experts) or UTC is used -- see accounts.selectors.display_prefs.
    """

    class TimeFormat(models.TextChoices):
        H24 = "24h", "24-hour (16:00)"
        H12 = "12h", "12-hour (4:00 PM)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=150, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    time_format = models.CharField(max_length=3, choices=TimeFormat.choices, default="24h")
    # Currency expert prices are compared and shown "≈" in (settings.CURRENCY_RATES); blank
    # means "never chosen": the browser's locale decides.
    currency = models.CharField(max_length=3, blank=True)
    # For later channels (SMS); nothing sends to it yet.
    phone = models.CharField(max_length=32, blank=True)
    # Email preferences per kind; in-app notifications are always stored.
    email_booking = models.BooleanField(
        default=True, help_text="Booking requests, confirmations, cancellations, moves"
    )
    email_reminder = models.BooleanField(default=True, help_text="Reminders before a session")
    email_chat = models.BooleanField(default=True, help_text="Chat messages while you are away")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.user_id}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once, at creation."""

    PREFIX = "pat_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the key, so a person can tell their tokens apart.
    key_prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…) of {self.user_id}"

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(30)
