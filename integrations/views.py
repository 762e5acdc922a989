"""Integrations API: calendar feed, external calendars, webhooks. Views only translate."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations.models import Expert
from consultations.selectors.scheduling import own_expert_profile
from integrations import selectors
from integrations.models import CalendarFeedToken
from integrations.serializers import (
    CalendarFeedSerializer,
    ExternalCalendarCreateSerializer,
    ExternalCalendarSerializer,
    ExternalCalendarUpdateSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)
from integrations.services import busy, feeds, webhooks
from project.api_errors import NotAllowed
from project.api_schema import ErrorSerializer
from project.auth import request_user

FEED_TAGS = ["calendar feed"]
BUSY_TAGS = ["external calendars"]
EXPERT_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `fields` names it."),
    403: OpenApiResponse(ErrorSerializer, description="Not an expert."),
}


def _feed_body(request: Request, feed: CalendarFeedToken) -> dict[str, Any]:
    path = f"/api/v1/integrations/calendar.ics?token={quote(feed.token)}"
    url = request.build_absolute_uri(path)
    webcal = "webcal://" + url.split("://", 1)[1]
    return CalendarFeedSerializer(
        {
            "url": url,
            "webcal_url": webcal,
            "google_url": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
            "timezone": feeds.feed_timezone(feed.user),
            "created_at": feed.created_at,
            "last_polled_at": feed.last_polled_at,
        }
    ).data


class CalendarFeedView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=FEED_TAGS,
        summary="My calendar subscription URL",
        description=(
            "The private URL of my calendar feed (created on first call). Anyone with the "
            "URL can read my consultations: keep it secret, regenerate it if it leaks."
        ),
        responses={200: CalendarFeedSerializer, 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(_feed_body(request, feeds.get_or_create_feed(request_user(request))))


class CalendarFeedRegenerateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=FEED_TAGS,
        summary="Replace my calendar URL (the old one stops working)",
        request=None,
        responses={200: CalendarFeedSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        feed = feeds.regenerate_feed_token(request_user(request), actor=request.user)
        return Response(_feed_body(request, feed))


class CalendarFeedIcsView(APIView):
    """The feed itself: no login (calendar apps can't), the token in the URL is the key."""

    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []

    @extend_schema(
        tags=FEED_TAGS,
        summary="Calendar feed (text/calendar) for subscription",
        description=(
            "Every consultation of the token's owner as an iCalendar VEVENT: stable UID, "
            "SEQUENCE bumped on each change, STATUS:CANCELLED for cancelled ones, the join "
            "link once confirmed, times in UTC, X-WR-TIMEZONE the expert's zone. Sends "
            "`ETag` and `Last-Modified`; `If-None-Match` / `If-Modified-Since` get 304."
        ),
        parameters=[
            OpenApiParameter(
                "token", OpenApiTypes.STR, required=True, description="The secret of the feed URL."
            )
        ],
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="ICS body"),
            304: OpenApiResponse(description="Unchanged since If-None-Match/If-Modified-Since"),
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        feed = feeds.feed_by_token(request.query_params.get("token", ""))
        rendered = feeds.render_feed(feed)
        last_modified = http_date(rendered.last_modified.timestamp())
        headers = {
            "ETag": rendered.etag,
            "Last-Modified": last_modified,
            "Cache-Control": "private, max-age=300",
        }
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            if rendered.etag in tags or "*" in tags:
                return _not_modified(headers)
        else:
            since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
            if since is not None and int(rendered.last_modified.timestamp()) <= since:
                return _not_modified(headers)
        response = HttpResponse(rendered.body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="consult.ics"'
        for key, value in headers.items():
            response[key] = value
        return response


def _not_modified(headers: dict[str, str]) -> HttpResponse:
    response = HttpResponseNotModified()
    for key, value in headers.items():
        response[key] = value
    return response


class ExternalCalendarListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=BUSY_TAGS,
        summary="My external calendars (expert only), with the status of their last fetch",
        responses={200: ExternalCalendarSerializer(many=True), 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        expert = own_expert_profile(request_user(request))
        return Response(ExternalCalendarSerializer(selectors.feeds_of(expert), many=True).data)

    @extend_schema(
        tags=BUSY_TAGS,
        summary="Add an external calendar whose busy times block my slots (expert only)",
        description=(
            "The secret iCal address from Google, Outlook or iCloud. It is fetched at once "
            "and every 15 minutes; private and loopback addresses are refused."
        ),
        request=ExternalCalendarCreateSerializer,
        responses={201: ExternalCalendarSerializer, **EXPERT_ERRORS},
    )
    def post(self, request: Request) -> Response:
        expert = own_expert_profile(request_user(request))
        data = ExternalCalendarCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feed = busy.add_feed(expert, actor=request.user, **data.validated_data)
        feed.refresh_from_db()
        return Response(ExternalCalendarSerializer(feed).data, status=201)


class ExternalCalendarDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=BUSY_TAGS,
        summary="Rename, pause or resume one of my external calendars (expert only)",
        request=ExternalCalendarUpdateSerializer,
        responses={200: ExternalCalendarSerializer, 404: ErrorSerializer, **EXPERT_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        expert = own_expert_profile(request_user(request))
        data = ExternalCalendarUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feed = busy.update_feed(expert, pk, actor=request.user, **data.validated_data)
        feed.refresh_from_db()
        return Response(ExternalCalendarSerializer(feed).data)

    @extend_schema(
        tags=BUSY_TAGS,
        summary="Remove one of my external calendars and its busy times (expert only)",
        responses={204: None, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def delete(self, request: Request, pk: int) -> Response:
        expert = own_expert_profile(request_user(request))
        busy.remove_feed(expert, pk, actor=request.user)
        return Response(status=204)


class ExternalCalendarSyncView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=BUSY_TAGS,
        summary="Fetch one of my external calendars now (expert only)",
        request=None,
        responses={200: ExternalCalendarSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        expert = own_expert_profile(request_user(request))
        feed = selectors.own_feed(expert, pk)
        busy.sync_feed(feed.pk)
        feed.refresh_from_db()
        return Response(ExternalCalendarSerializer(feed).data)


HOOK_TAGS = ["webhooks"]
HOOK_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `fields` names it."),
    403: OpenApiResponse(ErrorSerializer, description="Not an expert or staff."),
}


def _may_have_webhooks(user: Any) -> None:
    if not (user.is_staff or Expert.objects.filter(user=user).exists()):
        raise NotAllowed("Only experts and staff can use webhooks.")


class WebhookListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=HOOK_TAGS,
        summary="My webhook endpoints (experts and staff)",
        responses={200: WebhookEndpointSerializer(many=True), 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        _may_have_webhooks(user)
        return Response(
            WebhookEndpointSerializer(webhooks.endpoints_visible_to(user), many=True).data
        )

    @extend_schema(
        tags=HOOK_TAGS,
        summary="Register an HTTPS endpoint for booking and meeting events",
        description=(
            "An expert's endpoint receives events of their own consultations; a staff "
            "member's receives every consultation's. The signing secret is in this response "
            "only (see README: verifying webhook signatures)."
        ),
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **HOOK_ERRORS},
    )
    def post(self, request: Request) -> Response:
        user = request_user(request)
        _may_have_webhooks(user)
        data = WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhooks.create_endpoint(user, **data.validated_data)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=201)


class WebhookDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=HOOK_TAGS,
        summary="Change one of my webhook endpoints (URL, events, pause)",
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer, 404: ErrorSerializer, **HOOK_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhooks.update_endpoint(user, pk, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        tags=HOOK_TAGS,
        summary="Delete one of my webhook endpoints and its delivery log",
        responses={204: None, 404: ErrorSerializer},
    )
    def delete(self, request: Request, pk: int) -> Response:
        webhooks.delete_endpoint(request_user(request), pk)
        return Response(status=204)


class WebhookRotateSecretView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=HOOK_TAGS,
        summary="Replace the signing secret of one of my endpoints",
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = webhooks.rotate_secret(request_user(request), pk)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class WebhookDeliveriesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=HOOK_TAGS,
        summary="The latest 50 deliveries of one of my endpoints, with every attempt",
        responses={200: WebhookDeliverySerializer(many=True), 404: ErrorSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        endpoint = webhooks.own_endpoint(request_user(request), pk)
        rows = selectors.deliveries_of(endpoint)
        return Response(WebhookDeliverySerializer(rows, many=True).data)


class WebhookReplayView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=HOOK_TAGS,
        summary="Send a delivery's event again (same body, new delivery id)",
        request=None,
        responses={202: WebhookDeliverySerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, delivery_id: Any) -> Response:
        copy = webhooks.replay(request_user(request), delivery_id)
        copy.refresh_from_db()
        return Response(WebhookDeliverySerializer(copy).data, status=202)
