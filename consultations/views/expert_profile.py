"""The logged-in expert's own profile (any verification status)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations.selectors.expert_profile import own_expert_profile
from consultations.serializers.expert_profile import (
    ExpertProfileSerializer,
    ExpertProfileUpdateSerializer,
)
from consultations.services.expert_profile import update_expert_profile
from project.api_schema import error_response
from project.auth import request_user
from project.parsers import JSONParser

_UNAUTHENTICATED = error_response("Not logged in.")
_NO_PROFILE = error_response("You have no expert profile.")


class MyExpertProfileView(APIView):
    permission_classes = [IsAuthenticated]
    # Lists (session lengths, languages) only have one clear encoding: JSON.
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["experts"],
        operation_id="consultations_experts_me_retrieve",
        summary="My expert profile",
        responses={200: ExpertProfileSerializer, 403: _UNAUTHENTICATED, 404: _NO_PROFILE},
    )
    def get(self, request: Request) -> Response:
        return Response(ExpertProfileSerializer(own_expert_profile(request_user(request))).data)

    @extend_schema(
        tags=["experts"],
        operation_id="consultations_experts_me_partial_update",
        summary="Edit my expert profile (only the keys sent change)",
        request=ExpertProfileUpdateSerializer(partial=True),
        responses={
            200: ExpertProfileSerializer,
            400: error_response("Bad input; `error.fields` names the field. Nothing is saved."),
            403: _UNAUTHENTICATED,
            404: _NO_PROFILE,
        },
    )
    def patch(self, request: Request) -> Response:
        expert = own_expert_profile(request_user(request))
        ser = ExpertProfileUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        update_expert_profile(expert=expert, actor=request_user(request), **ser.validated_data)
        return Response(ExpertProfileSerializer(own_expert_profile(request_user(request))).data)
