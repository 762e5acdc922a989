"""Public expert list and profile (approved experts only)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny

from consultations.filters import ExpertFilter
from consultations.selectors.experts import get_public_expert, listed_experts, public_experts
from consultations.serializers.experts import ExpertDetailSerializer, ExpertListSerializer
from project.api_schema import error_response


class ExpertPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class ExpertListView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ExpertListSerializer
    pagination_class = ExpertPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ExpertFilter

    def get_queryset(self):
        return listed_experts()

    @extend_schema(
        tags=["experts"],
        summary="List approved experts who can be booked (weekly hours and session lengths set)",
        responses={
            200: ExpertListSerializer(many=True),
            400: error_response("A filter or ordering value is invalid."),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ExpertDetailView(RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ExpertDetailSerializer

    def get_queryset(self):
        return public_experts()

    def get_object(self):
        return get_public_expert(self.kwargs["pk"])

    @extend_schema(
        tags=["experts"],
        summary="An approved expert's public profile",
        responses={
            200: ExpertDetailSerializer,
            404: error_response("No approved expert with this id."),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
