"""Call attendance JSON (consultations/services/attendance.summary)."""

from __future__ import annotations

from rest_framework import serializers


class AttendanceIntervalSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["client", "expert"])
    joined_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)


class AttendanceSerializer(serializers.Serializer):
    client_minutes = serializers.IntegerField()
    expert_minutes = serializers.IntegerField()
    both_minutes = serializers.IntegerField(help_text="Minutes both were in the call.")
    client_joined = serializers.BooleanField()
    expert_joined = serializers.BooleanField()
    client_present = serializers.BooleanField(help_text="In the call right now.")
    expert_present = serializers.BooleanField()
    intervals = AttendanceIntervalSerializer(many=True)
