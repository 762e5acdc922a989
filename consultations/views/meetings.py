"""Meeting endpoints: the join link, and start/end tracking. Thin: selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations.selectors.meetings import consultation_for_participant, meeting_link
from consultations.serializers.meetings import (
    MeetingErrorSerializer,
    MeetingLinkSerializer,
    MeetingStateSerializer,
)
from consultations.services.meetings import end_meeting, start_meeting
from consultations.views.bookings import reader_zone
from project.api_schema import error_response
from project.auth import request_user

_NOT_FOUND = error_response(
    "No such consultation, or you are not a participant.", MeetingErrorSerializer
)


class MeetingLinkView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="consultations_meeting_link",
        summary="Jitsi join link for a consultation",
        responses={
            200: MeetingLinkSerializer,
            403: error_response(
                "Not confirmed, or outside the join window (the code says which).",
                MeetingErrorSerializer,
            ),
            404: _NOT_FOUND,
            409: error_response("No meeting room.", MeetingErrorSerializer),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        consultation = consultation_for_participant(user=request_user(request), pk=pk)
        link = meeting_link(user=request_user(request), consultation=consultation)
        return Response(MeetingLinkSerializer(link).data)


class StartMeetingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="consultations_meeting_start",
        summary="Mark the consultation's meeting as started",
        request=None,
        responses={
            200: MeetingStateSerializer,
            403: error_response(
                "Not confirmed, or outside the join window.", MeetingErrorSerializer
            ),
            404: _NOT_FOUND,
            409: error_response("Already started.", MeetingErrorSerializer),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        consultation = consultation_for_participant(user=request_user(request), pk=pk)
        consultation = start_meeting(consultation=consultation, user=request_user(request))
        return Response(MeetingStateSerializer(consultation).data)


class EndMeetingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="consultations_meeting_end",
        summary="End the meeting: completed, or the no-show of a side that never joined",
        request=None,
        responses={
            200: MeetingStateSerializer,
            403: error_response("Not confirmed.", MeetingErrorSerializer),
            404: _NOT_FOUND,
            409: error_response(
                "Not started yet, already ended, or the other side has not joined yet "
                "(`not_joined_yet`, with `no_show_from`).",
                MeetingErrorSerializer,
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        consultation = consultation_for_participant(user=request_user(request), pk=pk)
        consultation = end_meeting(
            consultation=consultation, user=request_user(request), zone=reader_zone(request)
        )
        return Response(MeetingStateSerializer(consultation).data)
