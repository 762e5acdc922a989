"""Expert applications, verification documents and the staff review endpoints."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations.filters import ApplicationFilter
from consultations.models import ExpertApplication
from consultations.selectors import verification as selectors
from consultations.serializers.verification import (
    AdminApplicationSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    ExpertApplicationSerializer,
    ExpertApplySerializer,
    ReviewSerializer,
    VerificationStatusSerializer,
)
from consultations.services import verification as services
from consultations.views.experts import ExpertPagination
from project.api_errors import NotFound
from project.api_schema import error_response
from project.auth import request_user

_UNAUTHENTICATED = error_response("Not logged in.")


class ApplyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["verification"],
        summary="Apply as an expert (or resubmit after changes were requested)",
        request=ExpertApplySerializer,
        responses={
            201: ExpertApplicationSerializer,
            200: OpenApiResponse(
                ExpertApplicationSerializer, description="Resubmitted after requested changes."
            ),
            400: error_response("Bad input, already an expert, or an application is already open."),
            403: _UNAUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        ser = ExpertApplySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        _, created = services.apply_for_expert(
            user=request_user(request), timezone_name=data.pop("timezone"), **data
        )
        application = selectors.latest_application_for(request_user(request))
        return Response(
            ExpertApplicationSerializer(application).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MyApplicationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["verification"],
        summary="My latest expert application",
        responses={
            200: ExpertApplicationSerializer,
            403: _UNAUTHENTICATED,
            404: error_response("You have not applied yet."),
        },
    )
    def get(self, request: Request) -> Response:
        application = selectors.latest_application_for(request_user(request))
        if application is None:
            raise NotFound("You have not applied as an expert yet.")
        return Response(ExpertApplicationSerializer(application).data)


class UploadDocumentView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["verification"],
        summary="Upload a verification document to my open application",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={
            201: DocumentSerializer,
            400: error_response(
                "Wrong type (by content), too large, empty, or no open application."
            ),
            403: _UNAUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        services.refuse_oversized_body(request.META.get("CONTENT_LENGTH"))
        ser = DocumentUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        document = services.upload_verification_document(
            user=request_user(request),
            file=ser.validated_data["file"],
            document_type=ser.validated_data["document_type"],
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class VerificationStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["verification"],
        summary="My verification status",
        responses={200: VerificationStatusSerializer, 403: _UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        summary = selectors.verification_status_for(request_user(request))
        return Response(VerificationStatusSerializer(summary).data)


class DocumentFileView(APIView):
    """Streams a verification document to its applicant or to staff, never publicly."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["verification"],
        summary="Download a verification document (applicant or staff only)",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            403: _UNAUTHENTICATED,
            404: error_response("No such document, or it is not yours."),
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        document = selectors.document_for_viewer(request_user(request), pk)
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise NotFound("The document's file is missing.") from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )
        # The bytes are user-supplied: never let a browser reinterpret or cache them.
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


class AdminApplicationListView(ListAPIView[ExpertApplication]):
    permission_classes = [IsAdminUser]
    serializer_class = AdminApplicationSerializer
    pagination_class = ExpertPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApplicationFilter

    def get_queryset(self) -> QuerySet[ExpertApplication]:
        return selectors.applications_for_review()

    @extend_schema(
        tags=["verification-admin"],
        summary="Expert applications (staff only)",
        responses={
            200: AdminApplicationSerializer(many=True),
            400: error_response("A filter value is invalid."),
            403: error_response("Not staff."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AdminApplicationReviewView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        tags=["verification-admin"],
        summary="Approve, reject or request changes (staff only)",
        request=ReviewSerializer,
        responses={
            200: AdminApplicationSerializer,
            400: error_response(
                "Bad decision, missing notes, or not allowed from the current status."
            ),
            403: error_response("Not staff."),
            404: error_response("No such application."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.get_application_for_review(pk)
        ser = ReviewSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.review_application(
            application=application,
            reviewer=request_user(request),
            decision=ser.validated_data["decision"],
            notes=ser.validated_data["notes"],
        )
        return Response(AdminApplicationSerializer(selectors.get_application_for_review(pk)).data)
