"""Reviews: post (client), list (public), reply (expert), hide/restore (staff)."""

from __future__ import annotations

from typing import Any, Protocol

from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations.models import Review
from consultations.selectors.reviews import reviews_for_profile
from consultations.serializers.reviews import (
    HideRequestSerializer,
    ReplyRequestSerializer,
    RestoreRequestSerializer,
    ReviewRequestSerializer,
    ReviewSerializer,
)
from consultations.services import reviews
from project.api_schema import error_response
from project.auth import request_user
from project.pagination import PageNumberPagination

TAGS = ["reviews"]


class ReviewPagination(PageNumberPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 50


class ExpertReviewsView(ListAPIView[Review]):
    permission_classes = [AllowAny]
    serializer_class = ReviewSerializer
    pagination_class = ReviewPagination

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL kwargs
            return Review.objects.none()
        return reviews_for_profile(self.kwargs["pk"], self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="An expert's reviews, newest first (hidden ones only for staff)",
        responses={
            200: ReviewSerializer(many=True),
            404: error_response("No approved expert with this id."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _out(request: Request, review: Review) -> Response:
    return Response(ReviewSerializer(review, context={"request": request}).data)


class _Moderation(Protocol):
    def __call__(self, *, review_id: int, actor: User, reason: str | None) -> Review: ...


def _moderate(
    request: Request,
    pk: int,
    body: type[serializers.Serializer[Any]],
    action: _Moderation,
) -> Response:
    """Hide and restore differ only in their body's rules and the service they call."""
    data = body(data=request.data)
    data.is_valid(raise_exception=True)
    review = action(review_id=pk, actor=request_user(request), reason=data.validated_data["reason"])
    return _out(request, review)


class PostReviewView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Review a completed consultation (its client, once)",
        request=ReviewRequestSerializer,
        responses={
            201: ReviewSerializer,
            400: error_response("Rating not 1-5, or text too long."),
            403: error_response("Only the client reviews."),
            404: error_response("Not a consultation you take part in."),
            409: error_response("Not completed yet, or already reviewed."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ReviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.post_review(
            consultation_id=pk,
            actor=request_user(request),
            rating=data.validated_data["rating"],
            text=data.validated_data["text"],
        )
        response = _out(request, review)
        response.status_code = 201
        return response


class ReplyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Set or edit the expert's public reply to a review",
        request=ReplyRequestSerializer,
        responses={
            200: ReviewSerializer,
            400: error_response("Reply blank or too long."),
            403: error_response("Only the reviewed expert replies."),
            404: error_response("No such review."),
        },
    )
    def put(self, request: Request, pk: int) -> Response:
        data = ReplyRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.reply_to_review(
            review_id=pk, actor=request_user(request), text=data.validated_data["reply"]
        )
        return _out(request, review)


class HideReviewView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Hide a review from the profile and the average (staff; audit-logged)",
        request=HideRequestSerializer,
        responses={
            200: ReviewSerializer,
            400: error_response("Reason missing or too long."),
            403: error_response("Staff only."),
            404: error_response("No such review."),
            409: error_response("Already hidden."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return _moderate(request, pk, HideRequestSerializer, reviews.hide_review)

    @extend_schema(
        tags=TAGS,
        summary="Show a hidden review again (staff; audit-logged)",
        request=RestoreRequestSerializer,
        responses={
            200: ReviewSerializer,
            400: error_response("Reason too long."),
            403: error_response("Staff only."),
            404: error_response("No such review."),
            409: error_response("Not hidden."),
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        return _moderate(request, pk, RestoreRequestSerializer, reviews.restore_review)
