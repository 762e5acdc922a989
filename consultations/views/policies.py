"""The expert's cancellation policy settings: experts/me/policy/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations import policies
from consultations.models import Expert
from consultations.selectors.scheduling import own_expert_profile
from consultations.serializers.policies import ExpertPolicySerializer, templates_data
from consultations.services.policy_settings import set_expert_policy
from project.api_schema import error_response
from project.auth import request_user


def _body(expert: Expert) -> dict[str, Any]:
    return {
        "cancellation_policy": expert.cancellation_policy,
        "reschedule_cutoff_hours": expert.reschedule_cutoff_hours,
        "max_reschedules": expert.max_reschedules,
        "current": policies.snapshot_for_expert(expert),
        "templates": templates_data(),
    }


class MyPolicyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["experts"],
        summary="My cancellation policy and the templates to choose from",
        responses={200: ExpertPolicySerializer, 403: error_response("Not an expert.")},
    )
    def get(self, request: Request) -> Response:
        return Response(
            ExpertPolicySerializer(_body(own_expert_profile(request_user(request)))).data
        )

    @extend_schema(
        tags=["experts"],
        summary="Choose my cancellation policy (applies to bookings made from now on)",
        request=ExpertPolicySerializer,
        responses={
            200: ExpertPolicySerializer,
            400: error_response("Bad input; `error.fields` names the field."),
            403: error_response("Not an expert."),
        },
    )
    def put(self, request: Request) -> Response:
        expert = own_expert_profile(request_user(request))
        data = ExpertPolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        expert = set_expert_policy(
            expert=expert,
            actor=request_user(request),
            cancellation_policy=v["cancellation_policy"],
            reschedule_cutoff_hours=v["reschedule_cutoff_hours"],
            max_reschedules=v["max_reschedules"],
        )
        return Response(ExpertPolicySerializer(_body(expert)).data)
