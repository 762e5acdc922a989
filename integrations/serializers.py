"""Request and response shapes of the integrations API."""

from __future__ import annotations

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
