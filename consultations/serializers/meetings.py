"""Output shapes of the meeting endpoints (typed for the OpenAPI schema)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from consultations.models import Consultation
from project.api_schema import ErrorSerializer


class MeetingLinkSerializer(serializers.Serializer):
    consultation_id = serializers.IntegerField()
    url = serializers.URLField(help_text="Join URL; carries ?jwt=<token> when JWT is enabled.")
    room = serializers.CharField()
    domain = serializers.CharField()
    token = serializers.CharField(
        allow_null=True, help_text="Jitsi JWT, or null when token auth is off."
    )
    jwt_enabled = serializers.BooleanField()
    is_moderator = serializers.BooleanField()
    join_opens_at = serializers.DateTimeField()
    join_closes_at = serializers.DateTimeField()
    meeting_started_at = serializers.DateTimeField(allow_null=True)


class MeetingStateSerializer(serializers.ModelSerializer):
    consultation_id = serializers.IntegerField(source="pk", read_only=True)
    room = serializers.CharField(source="meeting_room_id", read_only=True, allow_null=True)

    class Meta:
        model = Consultation
        fields = [
            "consultation_id",
            "status",
            "room",
            "start_at",
            "end_at",
            "meeting_started_at",
            "meeting_ended_at",
            "completed_at",
        ]
        read_only_fields = fields


# The component name must be set here: a subclass inherits the parent's
# `component_name` and would otherwise collide with "ErrorResponse".
@extend_schema_serializer(component_name="MeetingError")
class MeetingErrorSerializer(ErrorSerializer):
    """The project-wide error body, with the extra keys meeting refusals add."""

    status = serializers.CharField(required=False, help_text="Consultation status, if relevant.")
    join_opens_at = serializers.DateTimeField(required=False)
    join_closes_at = serializers.DateTimeField(required=False)
