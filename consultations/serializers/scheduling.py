"""Availability, scheduling settings, unavailability blocks and time slots."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from consultations.models import (
    Expert,
    ExpertAvailability,
    ExpertDateOverride,
    ExpertUnavailability,
)
from consultations.services.availability import SETTINGS_FIELDS
from consultations.services.timezones import END_OF_DAY, is_known_zone
from project.api_schema import ErrorSerializer
from project.parsing import DayField, InstantField

_WALL_TIME = re.compile(r"^(?P<h>[01]\d|2[0-4]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?$")


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", "example": "09:30"}
)
class WallTimeField(serializers.Field):
    """ "HH:MM" wall-clock time in the expert's zone; "24:00" means the end of the day."""

    default_error_messages = {"invalid": 'Use "HH:MM" (00:00 to 24:00).'}

    def to_internal_value(self, data: Any) -> time:
        match = _WALL_TIME.match(str(data)) if isinstance(data, str) else None
        if not match:
            self.fail("invalid")
        h, m, s = int(match["h"]), int(match["m"]), int(match["s"] or 0)
        if h == 24:
            if m or s:
                self.fail("invalid")
            return END_OF_DAY
        return time(h, m, s)

    def to_representation(self, value: time) -> str:
        if value == END_OF_DAY:
            return "24:00"
        return value.strftime("%H:%M") if not value.second else value.strftime("%H:%M:%S")


class TimeZoneField(serializers.CharField):
    default_error_messages = {"unknown": "'{value}' is not a known IANA time zone."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "IANA time zone, e.g. Europe/Paris.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not is_known_zone(value):
            self.fail("unknown", value=value)
        return value


class WeeklyRuleSerializer(serializers.ModelSerializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday"
    )
    weekday_name = serializers.CharField(source="get_weekday_display", read_only=True)
    start_time = WallTimeField()
    end_time = WallTimeField()

    class Meta:
        model = ExpertAvailability
        fields = ["id", "weekday", "weekday_name", "start_time", "end_time"]
        read_only_fields = ["id", "weekday_name"]


class AvailabilityUpdateSerializer(serializers.Serializer):
    rules = WeeklyRuleSerializer(
        many=True, allow_empty=True, help_text="The complete new weekly schedule."
    )


class SchedulingSettingsSerializer(serializers.ModelSerializer):
    timezone = TimeZoneField(required=False)
    session_lengths = serializers.ListField(
        child=serializers.IntegerField(min_value=10, max_value=480),
        min_length=1,
        max_length=6,
        required=False,
        help_text="Bookable session lengths in minutes.",
    )
    slot_interval_minutes = serializers.IntegerField(min_value=5, max_value=240, required=False)
    buffer_before_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False)
    buffer_after_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False)
    min_notice_minutes = serializers.IntegerField(min_value=0, max_value=43200, required=False)
    max_bookings_per_day = serializers.IntegerField(min_value=1, max_value=100, required=False)
    booking_horizon_days = serializers.IntegerField(min_value=1, max_value=365, required=False)

    class Meta:
        model = Expert
        fields = list(SETTINGS_FIELDS)

    def validate_session_lengths(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each length only once.")
        return sorted(value)


class AvailabilitySerializer(serializers.Serializer):
    expert_id = serializers.IntegerField()
    timezone = serializers.CharField(help_text="The expert's IANA zone; rules are in it.")
    rules = WeeklyRuleSerializer(many=True)
    settings = SchedulingSettingsSerializer()
    next_available_at = serializers.DateTimeField(allow_null=True)


class UnavailabilitySerializer(serializers.ModelSerializer):
    start_at = InstantField(help_text="ISO 8601 with a UTC offset (stored in UTC).")
    end_at = InstantField(help_text="ISO 8601 with a UTC offset (stored in UTC).")
    kind = serializers.ChoiceField(
        choices=ExpertUnavailability.Kind.choices, default=ExpertUnavailability.Kind.ONE_OFF
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = ExpertUnavailability
        fields = ["id", "start_at", "end_at", "kind", "reason"]
        read_only_fields = ["id"]


class UnavailabilityCreatedSerializer(UnavailabilitySerializer):
    overlapping_consultation_ids = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Active bookings inside the block; they are kept until cancelled.",
    )

    class Meta(UnavailabilitySerializer.Meta):
        fields = [*UnavailabilitySerializer.Meta.fields, "overlapping_consultation_ids"]


class OverrideWindowSerializer(serializers.Serializer):
    start_time = WallTimeField()
    end_time = WallTimeField()


class DateOverrideSerializer(serializers.ModelSerializer):
    date = serializers.DateField(read_only=True, help_text="The date in the expert's zone.")
    windows = serializers.SerializerMethodField()
    closed = serializers.SerializerMethodField()

    class Meta:
        model = ExpertDateOverride
        fields = ["date", "windows", "closed", "note", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(OverrideWindowSerializer(many=True))
    def get_windows(self, obj: ExpertDateOverride) -> list[dict[str, str]]:
        return list(obj.windows)

    def get_closed(self, obj: ExpertDateOverride) -> bool:
        return not obj.windows


class DateOverrideWriteSerializer(serializers.Serializer):
    windows = OverrideWindowSerializer(
        many=True,
        allow_empty=True,
        help_text="Wall-clock ranges in the expert's zone for this date; [] = closed all day.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DateOverridesQuerySerializer(serializers.Serializer):
    to = serializers.DateField(required=False, help_text="Last date (inclusive).")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="First date (default: today in the expert's zone)."
        )
        return fields


class TimeSlotsQuerySerializer(serializers.Serializer):
    date = DayField(required=False, help_text="One day (viewer-local), YYYY-MM-DD.")
    to = DayField(required=False, help_text="Last day of the range (inclusive).")
    tz = TimeZoneField(required=False, help_text="Viewer's IANA zone (default: the expert's).")
    duration = serializers.IntegerField(
        required=False, min_value=1, help_text="Session length (default: the shortest offered)."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it can't be a class attribute.
        fields["from"] = DayField(required=False, help_text="First day of the range, YYYY-MM-DD.")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        day, start, end = attrs.get("date"), attrs.get("from"), attrs.get("to")
        if day and (start or end):
            raise serializers.ValidationError({"date": "Give either date or from/to, not both."})
        if day:
            attrs["from"] = attrs["to"] = day
        elif start:
            attrs["to"] = end or start
        else:
            raise serializers.ValidationError({"date": "Give date=YYYY-MM-DD or from/to."})
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": "'to' must not be before 'from'."})
        return attrs


class TimeSlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="UTC.")
    end = serializers.DateTimeField(help_text="UTC; start + duration_minutes.")
    start_local = serializers.CharField(help_text="Start in the viewer's zone, ISO 8601.")
    end_local = serializers.CharField(help_text="End in the viewer's zone, ISO 8601.")
    date = serializers.DateField(help_text="The viewer-local date of the start.")
    expert_start_local = serializers.CharField(help_text="Start in the expert's zone.")
    duration_minutes = serializers.IntegerField()
    available_durations = serializers.ListField(
        child=serializers.IntegerField(), help_text="Every offered length that fits here."
    )


class TimeSlotsSerializer(serializers.Serializer):
    expert_id = serializers.IntegerField()
    timezone = serializers.CharField(help_text="The viewer's zone used for *_local fields.")
    expert_timezone = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    duration_minutes = serializers.IntegerField()
    slots = TimeSlotSerializer(many=True)


class AlternativeSlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


@extend_schema_serializer(component_name="ApiError")  # a subclass must name its own
class ApiErrorSerializer(ErrorSerializer):
    """The project's error shape; booking conflicts add `alternatives`."""

    alternatives = AlternativeSlotSerializer(
        many=True, required=False, help_text="Nearest free slots (on 409 and availability 400s)."
    )
