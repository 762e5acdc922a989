"""Public expert list and profile (approved experts only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations import expert_list_cache
from consultations.filters import ExpertFilter
from consultations.models import Expert
from consultations.selectors.experts import (
    get_public_expert,
    listed_experts,
    public_experts,
    ranked,
)
from consultations.serializers.experts import ExpertDetailSerializer, ExpertListSerializer
from consultations.services import currency
from project.api_schema import error_response
from project.pagination import PageNumberPagination


class ExpertPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _display_currency_context(
    view: GenericAPIView[Expert], context: dict[str, Any]
) -> dict[str, Any]:
    """The display currency the caller asked for (validated), for the ≈ prices."""
    asked = view.request.query_params.get("display_currency") if view.request else None
    if asked:
        context["display_currency"] = currency.display_currency(asked)
    return context


_DISPLAY_CURRENCY = OpenApiParameter(
    "display_currency",
    str,
    description="Also give each price converted (approximately) into this currency, e.g. EUR.",
)


class ExpertListView(ListAPIView[Expert]):
    permission_classes = [AllowAny]
    serializer_class = ExpertListSerializer
    pagination_class = ExpertPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ExpertFilter

    def get_queryset(self) -> QuerySet[Expert]:
        # Default order (an `ordering` parameter replaces it): rating plus the reliability
        # adjustment, formula in consultations.services.reliability.
        return ranked(listed_experts())

    def get_serializer_context(self) -> dict[str, Any]:
        return _display_currency_context(self, super().get_serializer_context())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The page is the same for every visitor (consultations/expert_list_cache.py);
        # keyed by the absolute URL, since the next/previous links carry the host.
        if expert_list_cache.ttl() <= 0:
            return super().list(request, *args, **kwargs)
        url = request.build_absolute_uri()
        data, version = expert_list_cache.lookup(url)
        if data is not None:
            return Response(data)
        response = super().list(request, *args, **kwargs)
        if response.status_code == 200:
            expert_list_cache.store(url, version, response.data)
        return response

    @extend_schema(
        tags=["experts"],
        summary="List approved experts who can be booked (weekly hours and session lengths set)",
        responses={
            200: ExpertListSerializer(many=True),
            400: error_response("A filter or ordering value is invalid."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ExpertDetailView(RetrieveAPIView[Expert]):
    permission_classes = [AllowAny]
    serializer_class = ExpertDetailSerializer

    def get_queryset(self) -> QuerySet[Expert]:
        return public_experts()

    def get_serializer_context(self) -> dict[str, Any]:
        return _display_currency_context(self, super().get_serializer_context())

    def get_object(self) -> Expert:
        return get_public_expert(self.kwargs["pk"])

    @extend_schema(
        tags=["experts"],
        summary="An approved expert's public profile",
        parameters=[_DISPLAY_CURRENCY],
        responses={
            200: ExpertDetailSerializer,
            400: error_response("display_currency is not a supported currency."),
            404: error_response("No approved expert with this id."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CurrencyRateSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    rate = serializers.DecimalField(
        max_digits=20, decimal_places=8, help_text="Worth of one unit in the base currency."
    )


class CurrenciesSerializer(serializers.Serializer[Any]):
    base = serializers.CharField()
    currencies = CurrencyRateSerializer(many=True)


class CurrenciesView(APIView):
    """The display currencies prices can be compared in, with their approximate rates."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["experts"],
        summary="Currencies the expert list can convert prices into (approximate rates)",
        responses={200: CurrenciesSerializer},
    )
    def get(self, request: Request) -> Response:
        table = currency.rates()
        data = {
            "base": currency.display_currency(None),
            "currencies": [{"code": code, "rate": table[code]} for code in sorted(table)],
        }
        return Response(CurrenciesSerializer(data).data)
