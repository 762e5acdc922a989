"""Public expert JSON: what the list and the profile page show."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consultations import policies
from consultations.models import Expert, ExpertReliability
from consultations.serializers.policies import PolicySnapshotSerializer
from consultations.services import currency, reliability


class ExpertListSerializer(serializers.ModelSerializer):
    is_verified = serializers.BooleanField(read_only=True, help_text="Verified-expert badge.")
    avatar_url = serializers.SerializerMethodField(
        help_text="Square picture (512 px when uploaded), or null: show initials."
    )
    avatar_thumb_url = serializers.SerializerMethodField(
        help_text="The same picture at 128 px, for lists and chat; null when none."
    )
    # Names and codes as plain lists; the frontend localises language names itself.
    expertise_areas = serializers.SerializerMethodField()
    languages = serializers.SerializerMethodField()
    session_lengths = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="Bookable lengths in minutes."
    )
    converted_hourly_rate = serializers.SerializerMethodField(
        help_text=(
            "hourly_rate converted (approximately) into the display_currency asked for; "
            "null when none was asked, it is the expert's own, or no rate is configured."
        )
    )
    converted_currency = serializers.SerializerMethodField(
        help_text="The currency of converted_hourly_rate, or null."
    )

    class Meta:
        model = Expert
        fields = [
            "id",
            "name",
            "headline",
            "avatar_url",
            "avatar_thumb_url",
            "is_verified",
            "expertise_areas",
            "languages",
            "hourly_rate",
            "currency",
            "converted_hourly_rate",
            "converted_currency",
            "timezone",
            "session_lengths",
            "average_rating",
            "review_count",
            "next_available_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_avatar_url(self, obj: Expert) -> str | None:
        # None rather than "" so the value is either a real URL or nothing.
        return obj.picture_url()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_avatar_thumb_url(self, obj: Expert) -> str | None:
        return obj.picture_url(thumb=True)

    def _converted(self, obj: Expert) -> Decimal | None:
        target = self.context.get("display_currency")
        if not target or target == obj.currency.upper():
            return None
        return currency.convert(obj.hourly_rate, obj.currency, target)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_converted_hourly_rate(self, obj: Expert) -> str | None:
        amount = self._converted(obj)
        return None if amount is None else f"{amount:.2f}"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_converted_currency(self, obj: Expert) -> str | None:
        return self.context["display_currency"] if self._converted(obj) is not None else None

    # .all() reads the prefetch cache; filtering here would cost a query per expert.
    def get_expertise_areas(self, obj: Expert) -> list[str]:
        return [area.name for area in obj.expertise_areas.all()]

    def get_languages(self, obj: Expert) -> list[str]:
        return [lang.code for lang in obj.languages.all()]


class ReliabilitySerializer(serializers.Serializer):
    lines = serializers.ListField(
        child=serializers.CharField(),
        help_text='Plain sentences, e.g. "Usually replies within 2 h", '
        '"Joined on time in 9 of 10 calls".',
    )
    window_days = serializers.IntegerField()
    computed_at = serializers.DateTimeField(allow_null=True)
    median_first_response_seconds = serializers.IntegerField(allow_null=True)
    conversations_measured = serializers.IntegerField()
    calls_measured = serializers.IntegerField()
    calls_on_time = serializers.IntegerField()
    sessions_due = serializers.IntegerField()
    late_cancellations = serializers.IntegerField()
    expert_no_shows = serializers.IntegerField()


class ExpertDetailSerializer(ExpertListSerializer):
    cancellation_policy = serializers.SerializerMethodField(
        help_text="The policy new bookings get (copied onto each booking when it is made)."
    )
    reliability = serializers.SerializerMethodField(
        help_text="Behaviour over the last 90 days (consultations.services.reliability)."
    )

    class Meta(ExpertListSerializer.Meta):
        fields = [
            *ExpertListSerializer.Meta.fields,
            "cancellation_policy",
            "bio",
            "slot_interval_minutes",
            "min_notice_minutes",
            "booking_horizon_days",
            "verified_at",
            "reliability",
        ]
        read_only_fields = fields

    @extend_schema_field(PolicySnapshotSerializer)
    def get_cancellation_policy(self, obj: Expert) -> dict:
        return PolicySnapshotSerializer(policies.snapshot_for_expert(obj)).data

    @extend_schema_field(ReliabilitySerializer)
    def get_reliability(self, obj: Expert) -> dict:
        try:
            row: ExpertReliability | None = obj.reliability
        except ExpertReliability.DoesNotExist:
            row = None
        return dict(
            ReliabilitySerializer(
                {
                    "lines": reliability.explain(row),
                    "window_days": reliability.WINDOW_DAYS,
                    "computed_at": row.computed_at if row else None,
                    "median_first_response_seconds": (
                        row.median_first_response_seconds if row else None
                    ),
                    "conversations_measured": row.conversations_measured if row else 0,
                    "calls_measured": row.calls_measured if row else 0,
                    "calls_on_time": row.calls_on_time if row else 0,
                    "sessions_due": row.sessions_due if row else 0,
                    "late_cancellations": row.late_cancellations if row else 0,
                    "expert_no_shows": row.expert_no_shows if row else 0,
                }
            ).data
        )
