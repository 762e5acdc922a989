"""Booking requests and consultation JSON."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consultations import policies
from consultations.models import Consultation, Review
from consultations.serializers.attendance import AttendanceSerializer
from consultations.serializers.policies import (
    LedgerEntrySerializer,
    PolicySnapshotSerializer,
    RefundDeadlineSerializer,
    RefundQuoteSerializer,
    RefusalSerializer,
)
from consultations.serializers.reviews import ReviewSerializer
from consultations.serializers.scheduling import TimeZoneField
from consultations.services.attendance import summary as attendance_summary
from consultations.services.timezones import aware_from_wall, get_zone
from project.api_errors import ServiceError
from project.parsing import IdField, ParseError, field_error, read_datetime
from project.reused_fields import ReusedFieldsMixin


def parse_instant(value: str, *, field: str, tz_name: str | None) -> datetime:
    """ISO 8601 -> aware UTC. A time without offset is read in `tz_name` (required then)."""
    try:
        parsed = read_datetime(value)
    except ParseError as exc:  # impossible dates, far years, offsets beyond +/-14:00
        raise field_error(field, exc) from None
    if timezone.is_aware(parsed):
        return parsed.astimezone(UTC)
    if not tz_name:
        raise serializers.ValidationError(
            {field: "Include a UTC offset, or send `timezone` for a wall-clock time."}
        )
    try:
        return aware_from_wall(parsed, get_zone(tz_name, field="timezone"), field=field)
    except ServiceError as exc:
        raise serializers.ValidationError({exc.field or field: exc.message}) from exc


# Fields built once per thread (project/reused_fields.py): every booking request validates
# through a fresh instance, and deep-copying its seven fields was a few per cent of the
# request's CPU. (A comment, not a docstring: drf-spectacular publishes docstrings.)
class BookingRequestSerializer(ReusedFieldsMixin, serializers.Serializer):
    expert_id = IdField()
    start_at = serializers.CharField(
        help_text="ISO 8601 with offset (UTC stored), or a wall-clock time plus `timezone`."
    )
    duration_minutes = serializers.IntegerField(
        required=False, min_value=1, help_text="One of the expert's session lengths."
    )
    end_at = serializers.CharField(
        required=False, help_text="Alternative to duration_minutes (same format as start_at)."
    )
    timezone = TimeZoneField(
        required=False, help_text="Zone of start_at/end_at when they carry no offset."
    )
    topic = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        tz_name = attrs.get("timezone")
        start = parse_instant(attrs["start_at"], field="start_at", tz_name=tz_name)
        attrs["start_at"] = start
        minutes = attrs.get("duration_minutes")
        if attrs.get("end_at"):
            end = parse_instant(attrs["end_at"], field="end_at", tz_name=tz_name)
            if end <= start:
                raise serializers.ValidationError({"end_at": "end_at must be after start_at."})
            span = (end - start).total_seconds() / 60
            if minutes is not None and span != minutes:
                raise serializers.ValidationError(
                    {"end_at": "end_at does not match duration_minutes."}
                )
            if span != int(span):
                raise serializers.ValidationError({"end_at": "Use whole minutes."})
            minutes = int(span)
        if minutes is None:
            raise serializers.ValidationError(
                {"duration_minutes": "Give duration_minutes (or end_at)."}
            )
        attrs["duration_minutes"] = minutes
        attrs.pop("end_at", None)
        return attrs


class RescheduleRequestSerializer(serializers.Serializer):
    start_at = serializers.CharField(help_text="New start; same format as when booking.")
    timezone = TimeZoneField(
        required=False,
        help_text="Zone of a wall-clock start_at, and of times quoted back in a refusal.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["start_at"] = parse_instant(
            attrs["start_at"], field="start_at", tz_name=attrs.get("timezone")
        )
        return attrs


class CancelRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        default="",
        help_text="Required when the expert cancels.",
    )
    accept_refund_percent = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        help_text="The refund the client accepts (as shown: `refund_if_cancelled_now`). "
        "Required when cancelling now keeps part of the price; a 409 `policy_fee` otherwise.",
    )
    timezone = TimeZoneField(required=False, help_text="Zone for times quoted in a refusal.")


class WaivePolicyRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class RateRequestSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    review = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ConsultationPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ConsultationExpertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    user_id = serializers.IntegerField()
    timezone = serializers.CharField()
    avatar_url = serializers.CharField(
        allow_null=True, help_text="128 px picture of the expert; null: show initials."
    )


# A stateless field kept for its to_representation (one per answer was built before).
_INSTANT = serializers.DateTimeField()


def _each(serializer: serializers.Serializer, rows: Iterable[Any]) -> list[dict[str, Any]]:
    """What `many=True` gives (a list of each row's representation) without building a
    ListSerializer and a child per call: two per answer, a tenth of the answer's CPU."""
    return [serializer.to_representation(row) for row in rows]


def _review_of(obj: Consultation) -> Review | None:
    try:
        review = obj.review
    except Review.DoesNotExist:
        return None
    review.expert = obj.expert  # already loaded: saves a query per row
    return review


class ConsultationSerializer(ReusedFieldsMixin, serializers.ModelSerializer):
    user = serializers.SerializerMethodField()
    expert = serializers.SerializerMethodField()
    duration_minutes = serializers.IntegerField(read_only=True)
    rescheduled_from_id = serializers.IntegerField(read_only=True, allow_null=True)
    rescheduled_to_id = serializers.SerializerMethodField()
    cancelled_by_id = serializers.IntegerField(read_only=True, allow_null=True)
    my_role = serializers.SerializerMethodField()
    can_cancel = serializers.SerializerMethodField()
    can_reschedule = serializers.SerializerMethodField()
    full_refund_if_cancelled_now = serializers.SerializerMethodField()
    policy = PolicySnapshotSerializer(read_only=True)
    refund_deadlines = serializers.SerializerMethodField()
    reschedule_cutoff_at = serializers.SerializerMethodField()
    refund_if_cancelled_now = serializers.SerializerMethodField()
    reschedule_refusal = serializers.SerializerMethodField()
    ledger = serializers.SerializerMethodField()
    attendance = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()
    can_review = serializers.SerializerMethodField(
        help_text="The viewer is the client, it is completed, and not reviewed yet."
    )

    class Meta:
        model = Consultation
        fields = [
            "id",
            "status",
            "start_at",
            "end_at",
            "duration_minutes",
            "topic",
            "notes",
            "client_timezone",
            "user",
            "expert",
            "price",
            "currency",
            "payment_status",
            "refund_amount",
            "meeting_started_at",
            "meeting_ended_at",
            "confirmed_at",
            "cancelled_at",
            "cancelled_by_id",
            "cancellation_reason",
            "rescheduled_from_id",
            "rescheduled_to_id",
            "completed_at",
            "review",
            "can_review",
            "created_at",
            "updated_at",
            "my_role",
            "can_cancel",
            "can_reschedule",
            "full_refund_if_cancelled_now",
            "policy",
            "policy_waived_at",
            "policy_waiver_reason",
            "reschedule_count",
            "cancellation_cause",
            "no_show_party",
            "refund_deadlines",
            "reschedule_cutoff_at",
            "refund_if_cancelled_now",
            "reschedule_refusal",
            "ledger",
            "attendance",
        ]
        read_only_fields = fields

    def _viewer(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(ConsultationPersonSerializer)
    def get_user(self, obj: Consultation) -> dict[str, Any]:
        return {"id": obj.user_id, "name": obj.user.get_full_name() or obj.user.email}

    @extend_schema_field(ConsultationExpertSerializer)
    def get_expert(self, obj: Consultation) -> dict[str, Any]:
        e = obj.expert
        return {
            "id": e.pk,
            "name": e.name,
            "user_id": e.user_id,
            "timezone": e.timezone,
            "avatar_url": e.picture_url(thumb=True),
        }

    def get_rescheduled_to_id(self, obj: Consultation) -> int | None:
        nxt = getattr(obj, "rescheduled_to", None)
        return nxt.pk if nxt is not None else None

    @extend_schema_field(serializers.ChoiceField(choices=["user", "expert"], allow_null=True))
    def get_my_role(self, obj: Consultation) -> str | None:
        viewer = self._viewer()
        if viewer is None:
            return None
        if viewer.pk == obj.expert.user_id:
            return "expert"
        return "user" if viewer.pk == obj.user_id else None

    def get_can_cancel(self, obj: Consultation) -> bool:
        return obj.can_be_cancelled()

    def get_can_reschedule(self, obj: Consultation) -> bool:
        return obj.can_be_rescheduled(by=self._viewer())

    def get_full_refund_if_cancelled_now(self, obj: Consultation) -> bool | None:
        """What cancelling now would mean for the viewer (None: can't be cancelled)."""
        if not obj.can_be_cancelled():
            return None
        by_expert = policies.is_expert_of(obj, self._viewer())
        return policies.refund_for_cancellation(obj, by_expert=by_expert).full_refund

    @extend_schema_field(RefundDeadlineSerializer(many=True))
    def get_refund_deadlines(self, obj: Consultation) -> list[dict[str, Any]]:
        rows = [{"until": d, "refund_percent": p} for d, p in policies.refund_deadlines(obj)]
        return _each(RefundDeadlineSerializer(), rows)

    @extend_schema_field(serializers.DateTimeField())
    def get_reschedule_cutoff_at(self, obj: Consultation) -> str:
        return _INSTANT.to_representation(policies.reschedule_cutoff(obj))

    @extend_schema_field(RefundQuoteSerializer(allow_null=True))
    def get_refund_if_cancelled_now(self, obj: Consultation) -> dict[str, Any] | None:
        """What cancelling now would give back, for the viewer's side (None: can't cancel)."""
        if not obj.can_be_cancelled():
            return None
        by_expert = policies.is_expert_of(obj, self._viewer())
        d = policies.refund_for_cancellation(obj, by_expert=by_expert)
        return RefundQuoteSerializer(
            {"percent": d.percent, "amount": d.amount, "reason": d.reason}
        ).data

    @extend_schema_field(RefusalSerializer(allow_null=True))
    def get_reschedule_refusal(self, obj: Consultation) -> dict[str, Any] | None:
        refusal = policies.reschedule_refusal(obj, by=self._viewer())
        if refusal is None:
            return None
        return RefusalSerializer(
            {"code": refusal.code, "message": refusal.message, "cutoff_at": refusal.cutoff_at}
        ).data

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_review(self, obj: Consultation) -> dict[str, Any] | None:
        review = _review_of(obj)
        if review is None:
            return None
        return dict(ReviewSerializer(review, context=self.context).data)

    def get_can_review(self, obj: Consultation) -> bool:
        viewer = self._viewer()
        return (
            viewer is not None
            and viewer.pk == obj.user_id
            and obj.status == Consultation.Status.COMPLETED
            and _review_of(obj) is None
        )

    @extend_schema_field(AttendanceSerializer)
    def get_attendance(self, obj: Consultation) -> dict[str, Any]:
        return attendance_summary(obj, rows=list(obj.attendance.all()))

    @extend_schema_field(LedgerEntrySerializer(many=True))
    def get_ledger(self, obj: Consultation) -> list[dict[str, Any]]:
        return _each(LedgerEntrySerializer(), obj.ledger_entries.all())


class RefundDecisionSerializer(serializers.Serializer):
    full_refund = serializers.BooleanField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    percent = serializers.IntegerField()
    reason = serializers.CharField()


class CancelResponseSerializer(serializers.Serializer):
    consultation = ConsultationSerializer()
    refund = RefundDecisionSerializer()


class EarningsSerializer(serializers.Serializer):
    """From the ledger (consultations.selectors.ledger.earnings): amounts owed, not money
    moved, so refunds and waived fees are already taken off."""

    currency = serializers.CharField()
    earned = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Owed for bookings that are over (completed, kept fees, no-shows).",
    )
    earned_this_month = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Of `earned`, sessions that started this month (the expert's zone).",
    )
    expected = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What active bookings would bring."
    )
    refunded = serializers.DecimalField(max_digits=12, decimal_places=2)
    waived = serializers.DecimalField(max_digits=12, decimal_places=2)
    completed_count = serializers.IntegerField()


class RatingSummarySerializer(serializers.Serializer):
    average = serializers.DecimalField(max_digits=3, decimal_places=2)
    count = serializers.IntegerField()


class ExpertDashboardSerializer(serializers.Serializer):
    upcoming = ConsultationSerializer(many=True)
    upcoming_count = serializers.IntegerField()
    pending_confirmation = ConsultationSerializer(many=True)
    pending_confirmation_count = serializers.IntegerField()
    earnings = EarningsSerializer()
    rating = RatingSummarySerializer()
    next_available_at = serializers.DateTimeField(allow_null=True)
