"""Booking endpoints: thin wrappers over services.booking and selectors.consultations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import display_prefs
from consultations.models import Consultation
from consultations.selectors import consultations as selectors
from consultations.selectors.scheduling import own_expert_profile
from consultations.serializers.bookings import (
    BookingRequestSerializer,
    CancelRequestSerializer,
    CancelResponseSerializer,
    ConsultationSerializer,
    ExpertDashboardSerializer,
    RateRequestSerializer,
    RescheduleRequestSerializer,
    WaivePolicyRequestSerializer,
)
from consultations.serializers.scheduling import ApiErrorSerializer
from consultations.services import booking, idempotency
from consultations.services.timezones import is_known_zone
from project.api_schema import error_response
from project.auth import request_user
from project.parsing import InstantFilter

TAGS = ["consultations"]
IDEMPOTENCY_PARAM = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Retries with the same key return the first response (header "
        "`Idempotent-Replayed: true`) instead of booking again; reusing a key for a "
        "different request is a 422."
    ),
)


def _err(description: str) -> OpenApiResponse:
    return error_response(description, ApiErrorSerializer)


NOT_FOUND = {404: _err("Not a consultation you take part in.")}


def _body_for_fingerprint(request: Request) -> Any:
    data = request.data
    return data.dict() if hasattr(data, "dict") else data


def _idempotent(request: Request, action: Callable[[], tuple[int, Any]]) -> Response:
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        code, body = action()
        return Response(body, status=code)
    result = idempotency.run_idempotent(
        user=request_user(request),
        key=key,
        request_fingerprint=idempotency.fingerprint(
            request.method or "", request.path, _body_for_fingerprint(request)
        ),
        action=action,
    )
    response = Response(result.body, status=result.status)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def reader_zone(request: Request, given: str | None = None) -> str:
    """The zone to quote times in: the request's `timezone`, the X-Timezone header, the
    user's profile zone, the expert's own zone, else UTC (always named in the text)."""
    header = request.headers.get("X-Timezone")
    candidates = [given, header]
    profile = getattr(request_user(request), "profile", None)
    candidates.append(getattr(profile, "timezone", None))
    try:
        candidates.append(request_user(request).expert_profile.timezone)
    except Exception:  # no expert profile
        pass
    for zone in candidates:
        if zone and is_known_zone(zone):
            return zone
    return "UTC"


def _out(request: Request, pk: int) -> dict[str, Any]:
    """Fresh read (the selector is the one place that decides visibility)."""
    c = selectors.consultation_for_participant(pk, request_user(request))
    return ConsultationSerializer(c, context={"request": request}).data


class BookConsultationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Book a consultation",
        description=(
            "Creates a pending consultation (the expert confirms it). The time must be one of "
            "the free slots from `experts/{id}/time-slots/`."
        ),
        parameters=[IDEMPOTENCY_PARAM],
        request=BookingRequestSerializer,
        responses={
            201: ConsultationSerializer,
            400: _err("Invalid input (past, off the grid, outside availability, ...)."),
            409: _err("The slot is taken or the day is full; see `alternatives`."),
            422: _err("Idempotency-Key reused for a different request."),
        },
    )
    def post(self, request: Request) -> Response:
        def action() -> tuple[int, Any]:
            data = BookingRequestSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            c = booking.book_consultation(
                user=request_user(request),
                expert_id=v["expert_id"],
                start_at=v["start_at"],
                duration_minutes=v["duration_minutes"],
                topic=v["topic"],
                notes=v.get("notes", ""),
                # The zone the booking page showed the slot in, else the profile's.
                client_timezone=v.get("timezone") or display_prefs(request_user(request)).zone,
            )
            # The caller is the booking's client, so it is visible to them: answer from
            # the objects in memory instead of reading the row back.
            c = selectors.ready_new_booking(c)
            return status.HTTP_201_CREATED, ConsultationSerializer(
                c, context={"request": request}
            ).data

        return _idempotent(request, action)


class ConsultationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One consultation (its client or expert only)",
        responses={200: ConsultationSerializer, **NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_out(request, pk))


class ConfirmConsultationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Confirm a pending consultation (the expert)",
        request=None,
        responses={
            200: ConsultationSerializer,
            403: _err("Only the expert confirms."),
            409: _err("Not pending any more."),
            **NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        booking.confirm_consultation(consultation_id=pk, actor=request_user(request))
        return Response(_out(request, pk))


class CancelConsultationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Cancel a consultation (client or expert)",
        description=(
            "The booking's own policy (`policy`, copied from the expert's choice when it was "
            "booked) decides the client's refund by notice; an expert's cancellation is "
            "always refunded in full. When cancelling now keeps part of the price, the client "
            "must send `accept_refund_percent` (the refund shown to them); otherwise, or when "
            "the refund has dropped below it, the answer is 409 `policy_fee` with "
            "`refund_percent`, `cutoff_at` and `cutoff_display` (in the reader's zone). No "
            "money moves here: `payment_status` and the `ledger` record what is due."
        ),
        request=CancelRequestSerializer,
        responses={
            200: CancelResponseSerializer,
            400: _err("Invalid input."),
            409: _err("Already cancelled, completed or started; or `policy_fee`."),
            **NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = CancelRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        _, decision = booking.cancel_consultation(
            consultation_id=pk,
            actor=request_user(request),
            reason=v["reason"],
            accept_refund_percent=v.get("accept_refund_percent"),
            reader_zone=reader_zone(request, v.get("timezone")),
        )
        body = {
            "consultation": selectors.consultation_for_participant(pk, request_user(request)),
            "refund": {
                "full_refund": decision.full_refund,
                "amount": decision.amount,
                "percent": decision.percent,
                "reason": decision.reason,
            },
        }
        return Response(CancelResponseSerializer(body, context={"request": request}).data)


class RescheduleConsultationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Move a consultation to a new time (client or expert)",
        description=(
            "Creates a new consultation linked by `rescheduled_from` and cancels this one, "
            "in one transaction. Same rules as a booking. A client may reschedule until the "
            "booking policy's cut-off and at most its `max_reschedules` times (409 "
            "`reschedule_cutoff` with `cutoff_at`/`cutoff_display`, or `reschedule_limit`); "
            "the expert until the start. Moved by the expert, the new booking is confirmed; "
            "moved by the client, it awaits the expert again."
        ),
        parameters=[IDEMPOTENCY_PARAM],
        request=RescheduleRequestSerializer,
        responses={
            201: ConsultationSerializer,
            400: _err("Invalid time."),
            409: _err("Slot taken (see `alternatives`) or not reschedulable."),
            422: _err("Idempotency-Key reused for a different request."),
            **NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        def action() -> tuple[int, Any]:
            data = RescheduleRequestSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            new = booking.reschedule_consultation(
                consultation_id=pk,
                actor=request_user(request),
                start_at=data.validated_data["start_at"],
                reason=data.validated_data["reason"],
                reader_zone=reader_zone(request, data.validated_data.get("timezone")),
            )
            return status.HTTP_201_CREATED, _out(request, new.pk)

        return _idempotent(request, action)


class WaivePolicyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Waive the cancellation policy for one booking (the expert)",
        description=(
            "The client then gets a full refund whenever they cancel or miss it, and may "
            "move it past the cut-off. Recorded on the booking and in the audit log; both "
            "sides get `booking.policy_waived`."
        ),
        request=WaivePolicyRequestSerializer,
        responses={
            200: ConsultationSerializer,
            403: _err("Only the expert waives."),
            409: _err("Not pending or confirmed, or already waived."),
            **NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = WaivePolicyRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking.waive_policy(
            consultation_id=pk, actor=request_user(request), reason=data.validated_data["reason"]
        )
        return Response(_out(request, pk))


class RateConsultationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Rate a completed consultation (deprecated: POST .../review/ instead)",
        deprecated=True,
        request=RateRequestSerializer,
        responses={
            200: ConsultationSerializer,
            400: _err("Rating not 1-5."),
            403: _err("Only the client rates."),
            409: _err("Not completed yet, or already rated."),
            **NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RateRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking.rate_consultation(
            consultation_id=pk,
            actor=request_user(request),
            rating=data.validated_data["rating"],
            review=data.validated_data["review"],
        )
        return Response(_out(request, pk))


class _ConsultationListView(ListAPIView[Consultation]):
    permission_classes = [IsAuthenticated]
    serializer_class = ConsultationSerializer


@extend_schema(tags=TAGS, summary="My upcoming consultations (as the client)")
class UpcomingConsultationsView(_ConsultationListView):
    def get_queryset(self) -> QuerySet[Consultation]:
        if getattr(self, "swagger_fake_view", False):
            return Consultation.objects.none()
        return selectors.upcoming_for_user(request_user(self.request))


@extend_schema(tags=TAGS, summary="My past, cancelled and completed consultations (as the client)")
class PastConsultationsView(_ConsultationListView):
    def get_queryset(self) -> QuerySet[Consultation]:
        if getattr(self, "swagger_fake_view", False):
            return Consultation.objects.none()
        return selectors.past_for_user(request_user(self.request))


# django-filter ships no type information, so FilterSet is Any to mypy.
class ExpertConsultationFilter(django_filters.FilterSet):  # type: ignore[misc]
    status = django_filters.MultipleChoiceFilter(choices=Consultation.Status.choices)
    start_from = InstantFilter(field_name="start_at", lookup_expr="gte")
    start_to = InstantFilter(field_name="start_at", lookup_expr="lt")
    upcoming = django_filters.BooleanFilter(
        method="filter_upcoming",
        label="Only bookings not yet over and still on (pending or confirmed), soonest first "
        "(the dashboard's 'Show more').",
    )

    class Meta:
        model = Consultation
        fields = ["status", "start_from", "start_to", "upcoming"]

    def filter_upcoming(
        self, qs: QuerySet[Consultation], name: str, value: bool | None
    ) -> QuerySet[Consultation]:
        if not value:
            return qs
        return selectors.upcoming_for_expert_list(qs)


@extend_schema(tags=TAGS, summary="My consultations as an expert (newest first)")
class ExpertConsultationsView(_ConsultationListView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = ExpertConsultationFilter

    def get_queryset(self) -> QuerySet[Consultation]:
        if getattr(self, "swagger_fake_view", False):
            return Consultation.objects.none()
        return selectors.consultations_for_expert(own_expert_profile(request_user(self.request)))


class ExpertDashboardView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Expert dashboard: upcoming, pending confirmation, earnings, rating",
        responses={200: ExpertDashboardSerializer, 403: _err("Not an expert.")},
    )
    def get(self, request: Request) -> Response:
        expert = own_expert_profile(request_user(request))
        data = selectors.expert_dashboard(expert)
        return Response(ExpertDashboardSerializer(data, context={"request": request}).data)
