"""Request and response shapes of the integrations API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from integrations.models import WebhookEndpoint


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


WEBHOOK_EVENT_CHOICES = [
    "booking.created",
    "booking.confirmed",
    "booking.cancelled",
    "booking.rescheduled",
    "meeting.started",
    "meeting.ended",
    "review.created",
]


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    events = serializers.ListField(child=serializers.CharField(), read_only=True)
    active = serializers.BooleanField(read_only=True)
    scope = serializers.SerializerMethodField(
        help_text="'expert': my consultations; 'all': every consultation (staff)."
    )
    secret_hint = serializers.SerializerMethodField(help_text="The last 4 characters only.")
    created_at = serializers.DateTimeField(read_only=True)

    def get_scope(self, obj: Any) -> str:
        return "expert" if obj.expert_id else "all"

    def get_secret_hint(self, obj: WebhookEndpoint) -> str:
        return "…" + obj.secret[-4:]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Shown only now: store it to verify signatures."
    )


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=1000, help_text="https:// address that receives POSTs.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENT_CHOICES), min_length=1
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=1000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENT_CHOICES), min_length=1, required=False
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class WebhookAttemptSerializer(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField()
    error = serializers.CharField()


class WebhookDeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event_type = serializers.CharField()
    event_id = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=["pending", "retrying", "succeeded", "failed"])
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_latency_ms = serializers.IntegerField(allow_null=True)
    last_response_excerpt = serializers.CharField()
    last_error = serializers.CharField()
    replay_of = serializers.UUIDField(source="replay_of_id", allow_null=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField()
    log = WebhookAttemptSerializer(many=True)

    def get_event_id(self, obj: Any) -> str:
        return str(obj.payload.get("id", ""))
