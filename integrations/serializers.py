"""Request and response shapes of the integrations API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from project.api_schema import ErrorSerializer  # noqa: F401  (re-exported for views)


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Secret https URL of the feed (text/calendar).")
    webcal_url = serializers.CharField(help_text="The same URL with webcal:// (Apple, Outlook).")
    google_url = serializers.CharField(help_text="Opens Google Calendar's 'add by URL' dialog.")
    timezone = serializers.CharField(help_text="X-WR-TIMEZONE the feed announces.")
    created_at = serializers.DateTimeField(help_text="When this URL was made.")
    last_polled_at = serializers.DateTimeField(
        allow_null=True, help_text="The last time a calendar app fetched it."
    )


class ExternalCalendarSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    url_display = serializers.SerializerMethodField(
        help_text="Only the host: the full address is a secret and is never shown again."
    )
    enabled = serializers.BooleanField(read_only=True)
    status = serializers.ChoiceField(
        choices=["pending", "ok", "error"], read_only=True, help_text="Result of the last fetch."
    )
    last_fetch_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_success_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_error = serializers.CharField(read_only=True)
    busy_count = serializers.IntegerField(read_only=True, help_text="Busy times stored.")
    created_at = serializers.DateTimeField(read_only=True)

    def get_url_display(self, obj: Any) -> str:
        parts = urlsplit(obj.url)
        return f"{parts.scheme}://{parts.hostname or ''}/…"


class ExternalCalendarCreateSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=2000,
        help_text="The calendar's secret iCal (ICS) address, https:// or webcal://.",
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ExternalCalendarUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)
