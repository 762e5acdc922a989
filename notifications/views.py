from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.filters import NotificationFilter
from notifications.models import Notification
from notifications.selectors import notification_list, unread_count
from notifications.serializers import (
    MarkAllReadSerializer,
    NotificationSerializer,
    UnreadCountSerializer,
)
from notifications.services import mark_all_read, mark_read
from project.api_schema import error_response
from project.auth import request_user

# Session auth comes first, so an anonymous caller gets 403 (there is no 401 challenge).
UNAUTHENTICATED = error_response("Not signed in.")


@extend_schema(
    tags=["notifications"],
    summary="My notifications, newest first",
    responses={
        200: NotificationSerializer(many=True),
        400: error_response("Unknown `kind` or a bad `unread` value."),
        403: UNAUTHENTICATED,
    },
)
class NotificationListView(generics.ListAPIView[Notification]):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        return notification_list(user=request_user(self.request))


class UnreadCountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        summary="How many of my notifications are unread",
        responses={200: UnreadCountSerializer, 403: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response({"unread_count": unread_count(user_id=request_user(request).pk)})


class MarkReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        summary="Mark one of my notifications read (idempotent)",
        request=None,
        responses={
            200: NotificationSerializer,
            403: UNAUTHENTICATED,
            404: error_response("No notification of mine has this id."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        notification = mark_read(user=request_user(request), notification_id=pk)
        return Response(NotificationSerializer(notification).data)


class MarkAllReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        summary="Mark all my notifications read",
        request=None,
        responses={200: MarkAllReadSerializer, 403: UNAUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        marked = mark_all_read(user=request_user(request))
        return Response(
            {"marked": marked, "unread_count": unread_count(user_id=request_user(request).pk)},
            status=status.HTTP_200_OK,
        )
