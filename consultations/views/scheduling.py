"""Availability, scheduling settings, unavailability blocks and free time slots."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations.models import Expert
from consultations.selectors import scheduling as selectors
from consultations.serializers.scheduling import (
    ApiErrorSerializer,
    AvailabilitySerializer,
    AvailabilityUpdateSerializer,
    DateOverrideSerializer,
    DateOverridesQuerySerializer,
    DateOverrideWriteSerializer,
    SchedulingSettingsSerializer,
    TimeSlotsQuerySerializer,
    TimeSlotsSerializer,
    UnavailabilityCreatedSerializer,
    UnavailabilitySerializer,
)
from consultations.services import availability as availability_service
from consultations.services import scheduling
from consultations.services.timezones import get_zone
from project.api_errors import ServiceError
from project.auth import request_user

TAGS = ["scheduling"]
ERRORS = {
    400: OpenApiResponse(ApiErrorSerializer, description="Invalid input; `fields` names it."),
    403: OpenApiResponse(ApiErrorSerializer, description="Not an expert."),
}


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _availability_body(expert: Expert) -> dict[str, Any]:
    return AvailabilitySerializer(
        {
            "expert_id": expert.pk,
            "timezone": expert.timezone,
            "rules": selectors.weekly_rules(expert),
            "settings": expert,
            "next_available_at": expert.next_available_at,
        }
    ).data


class ExpertAvailabilityView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="An expert's weekly availability and scheduling settings",
        responses={200: AvailabilitySerializer, 404: ApiErrorSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        expert = selectors.expert_for_schedule(pk, request.user)
        return Response(_availability_body(expert))


class ExpertTimeSlotsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Free time slots (UTC and the viewer's zone)",
        description=(
            "Either `date` (one day) or `from`/`to` (inclusive range, at most 366 days). "
            "Days are calendar days in `tz` (default: the expert's zone). Slots already "
            "exclude bookings with their buffers, unavailability, the minimum notice, the "
            "booking horizon and full days; they are correct across DST changes."
        ),
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="One day, YYYY-MM-DD."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day of a range."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive)."),
            OpenApiParameter("tz", OpenApiTypes.STR, description="Viewer's IANA zone."),
            OpenApiParameter("duration", OpenApiTypes.INT, description="Session minutes."),
        ],
        responses={200: TimeSlotsSerializer, 400: ApiErrorSerializer, 404: ApiErrorSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        expert = selectors.expert_for_schedule(pk, request.user)
        query = TimeSlotsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        viewer_zone = get_zone(q.get("tz") or expert.timezone)
        expert_zone = get_zone(expert.timezone, field="timezone")
        slots = scheduling.get_available_slots(
            expert,
            date_from=q["from"],
            date_to=q["to"],
            viewer_tz=viewer_zone,
            duration_minutes=q.get("duration"),
        )
        lengths = scheduling.session_lengths(expert)
        duration = q.get("duration") or (lengths[0] if lengths else 0)
        # Built directly (TimeSlotsSerializer documents the shape): a year of slots through
        # DRF field objects costs more than computing them.
        slot_items = [
            {
                "start": _utc_text(s.start),
                "end": _utc_text(s.end),
                "start_local": s.start.astimezone(viewer_zone).isoformat(),
                "end_local": s.end.astimezone(viewer_zone).isoformat(),
                "date": s.start.astimezone(viewer_zone).date().isoformat(),
                "expert_start_local": s.start.astimezone(expert_zone).isoformat(),
                "duration_minutes": duration,
                "available_durations": list(s.durations),
            }
            for s in slots
        ]
        return Response(
            {
                "expert_id": expert.pk,
                "timezone": viewer_zone.key,
                "expert_timezone": expert.timezone,
                "date_from": q["from"].isoformat(),
                "date_to": q["to"].isoformat(),
                "duration_minutes": duration,
                "slots": slot_items,
            }
        )


class AvailabilityUpdateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Replace my weekly availability (expert only)",
        description="All rules are replaced at once; overlapping rules or end <= start: 400.",
        request=AvailabilityUpdateSerializer,
        responses={200: AvailabilitySerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        data = AvailabilityUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        availability_service.replace_weekly_rules(expert, data.validated_data["rules"])
        return Response(_availability_body(expert))


class SchedulingSettingsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="My scheduling settings (expert only)",
        responses={200: SchedulingSettingsSerializer, 403: ApiErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        return Response(SchedulingSettingsSerializer(expert).data)

    @extend_schema(
        tags=TAGS,
        summary="Change my scheduling settings (expert only)",
        request=SchedulingSettingsSerializer,
        responses={200: SchedulingSettingsSerializer, **ERRORS},
    )
    def patch(self, request: Request) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        data = SchedulingSettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        availability_service.update_scheduling_settings(expert, **data.validated_data)
        return Response(SchedulingSettingsSerializer(expert).data)


class UnavailabilityListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="My current and future unavailability blocks (expert only)",
        parameters=[
            OpenApiParameter(
                "include_past", OpenApiTypes.BOOL, description="Also list blocks that ended."
            )
        ],
        responses={200: UnavailabilitySerializer(many=True), 403: ApiErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        include_past = request.query_params.get("include_past", "").lower() in {"1", "true"}
        blocks = selectors.unavailability_blocks(expert, include_past=include_past)
        return Response(UnavailabilitySerializer(blocks, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Block a period (holiday, vacation, one-off) (expert only)",
        request=UnavailabilitySerializer,
        responses={201: UnavailabilityCreatedSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        data = UnavailabilitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block, overlapping = availability_service.add_unavailability(expert, **data.validated_data)
        body = {**UnavailabilitySerializer(block).data, "overlapping_consultation_ids": overlapping}
        return Response(body, status=status.HTTP_201_CREATED)


class UnavailabilityDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Remove one of my unavailability blocks (expert only)",
        responses={204: None, 403: ApiErrorSerializer, 404: ApiErrorSerializer},
    )
    def delete(self, request: Request, pk: int) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        availability_service.remove_unavailability(expert, pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DateOverrideListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="My date overrides (expert only)",
        description="Dates whose hours replace the weekly rules, from today (expert's zone).",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First date (default today)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last date (inclusive)."),
        ],
        responses={200: DateOverrideSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        query = DateOverridesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        rows = selectors.date_overrides(expert, date_from=q.get("from"), date_to=q.get("to"))
        return Response(DateOverrideSerializer(rows, many=True).data)


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ServiceError("Use a date as YYYY-MM-DD.", field="date") from None


class DateOverrideDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Set the hours of one date (expert only)",
        description=(
            "Replaces the weekly rules for this date in the expert's zone: extra hours on a "
            "day off, shorter hours on a holiday, or `windows: []` for closed. Bookings "
            "already made that day are kept."
        ),
        request=DateOverrideWriteSerializer,
        responses={200: DateOverrideSerializer, **ERRORS},
    )
    def put(self, request: Request, day: str) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        data = DateOverrideWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        override = availability_service.set_date_override(
            expert,
            day=_parse_date(day),
            windows=data.validated_data["windows"],
            note=data.validated_data["note"],
            actor=request.user,
        )
        return Response(DateOverrideSerializer(override).data)

    @extend_schema(
        tags=TAGS,
        summary="Remove a date override: the weekly rules apply again (expert only)",
        responses={204: None, 403: ApiErrorSerializer, 404: ApiErrorSerializer},
    )
    def delete(self, request: Request, day: str) -> Response:
        expert = selectors.own_expert_profile(request_user(request))
        availability_service.remove_date_override(expert, _parse_date(day), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
