"""The expert's earnings and ledger export: experts/me/earnings/ and experts/me/ledger.csv."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations.selectors.ledger import earnings, entries_for_expert
from consultations.selectors.scheduling import own_expert_profile
from project.api_schema import error_response
from project.auth import request_user


class EarningsResponseSerializer(serializers.Serializer[Any]):
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
    due = serializers.DecimalField(max_digits=12, decimal_places=2)
    refunded = serializers.DecimalField(max_digits=12, decimal_places=2)
    waived = serializers.DecimalField(max_digits=12, decimal_places=2)
    moved = serializers.DecimalField(max_digits=12, decimal_places=2)


class MyEarningsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["experts"],
        summary="My earnings from the ledger (amounts owed, not money moved)",
        responses={200: EarningsResponseSerializer, 403: error_response("Not an expert.")},
    )
    def get(self, request: Request) -> Response:
        expert = own_expert_profile(request_user(request))
        return Response(EarningsResponseSerializer(earnings(expert)).data)


class MyLedgerCsvView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["experts"],
        summary="My ledger as CSV (one row per entry)",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            403: error_response("Not an expert."),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        expert = own_expert_profile(request_user(request))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="consult-ledger.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "date_utc",
                "booking",
                "session_start_utc",
                "client",
                "status",
                "entry",
                "amount",
                "currency",
                "reason",
            ]
        )
        for e in entries_for_expert(expert):
            c = e.consultation
            writer.writerow(
                [
                    e.created_at.isoformat(),
                    c.pk,
                    c.start_at.isoformat(),
                    _safe(c.user.get_full_name() or c.user.email),
                    c.status,
                    e.kind,
                    f"{e.amount:.2f}",
                    e.currency,
                    _safe(e.reason),
                ]
            )
        return response


def _safe(text: str) -> str:
    """No spreadsheet formulas from user-typed text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
