"""The logged-in expert's own profile (any verification status)."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations.selectors.expert_profile import own_expert_profile
from consultations.serializers.expert_profile import (
    ExpertPhotoUploadSerializer,
    ExpertProfileSerializer,
    ExpertProfileUpdateSerializer,
)
from consultations.services import expert_photo
from consultations.services.expert_profile import update_expert_profile
from project.api_errors import NotFound
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


class MyExpertPhotoView(APIView):
    """Upload, replace or remove the logged-in expert's photo."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["experts"],
        summary="Upload or replace my photo (PNG, JPEG or WebP; stored as a square WebP)",
        request={"multipart/form-data": ExpertPhotoUploadSerializer},
        responses={
            200: ExpertProfileSerializer,
            400: error_response("Not a PNG/JPEG/WebP image (by content), too large or empty."),
            403: _UNAUTHENTICATED,
            404: _NO_PROFILE,
        },
    )
    def post(self, request: Request) -> Response:
        expert_photo.refuse_oversized_body(request.META.get("CONTENT_LENGTH"))
        expert = own_expert_profile(request_user(request))
        ser = ExpertPhotoUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        expert_photo.set_expert_photo(
            expert=expert, actor=request_user(request), upload=ser.validated_data["photo"]
        )
        return Response(ExpertProfileSerializer(own_expert_profile(request_user(request))).data)

    @extend_schema(
        tags=["experts"],
        summary="Remove my photo (initials are shown instead)",
        request=None,
        responses={200: ExpertProfileSerializer, 403: _UNAUTHENTICATED, 404: _NO_PROFILE},
    )
    def delete(self, request: Request) -> Response:
        expert = own_expert_profile(request_user(request))
        expert_photo.remove_expert_photo(expert=expert, actor=request_user(request))
        return Response(ExpertProfileSerializer(own_expert_profile(request_user(request))).data)


class ExpertPhotoFileView(APIView):
    """Serves a stored expert photo. Public like the profiles that show it; the name is
    random and changes with every upload, so browsers and proxies may keep it for ever."""

    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []

    @extend_schema(
        tags=["experts"],
        summary="An expert's photo (square WebP, 512 or 128 pixels)",
        responses={
            (200, "image/webp"): OpenApiTypes.BINARY,
            404: error_response("No such photo (removed or replaced)."),
        },
    )
    def get(self, request: Request, name: str) -> FileResponse:
        handle = expert_photo.open_photo_file(name)
        if handle is None:
            raise NotFound("No such photo.")
        response = FileResponse(handle, content_type="image/webp")
        # We wrote these bytes ourselves, but still: never sniffed into anything else,
        # never run as a page.
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "public, max-age=31536000, immutable"
        response["Cross-Origin-Resource-Policy"] = "same-site"
        return response
