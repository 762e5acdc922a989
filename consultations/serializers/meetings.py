"""Output shapes of the meeting endpoints (typed for the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from consultations.models import Consultation


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


class _ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class MeetingErrorSerializer(serializers.Serializer):
    """The project-wide error body, with the extra keys meeting refusals add."""

    error = _ErrorBodySerializer()
    detail = serializers.CharField()
    status = serializers.CharField(required=False, help_text="Consultation status, if relevant.")
    join_opens_at = serializers.DateTimeField(required=False)
    join_closes_at = serializers.DateTimeField(required=False)
