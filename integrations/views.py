"""Integrations API: calendar feed, external calendars, webhooks. Views only translate."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.serializers import CalendarFeedSerializer, ErrorSerializer
from integrations.services import feeds

FEED_TAGS = ["calendar feed"]


def _feed_body(request: Request, feed) -> dict:
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
        return Response(_feed_body(request, feeds.get_or_create_feed(request.user)))


class CalendarFeedRegenerateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=FEED_TAGS,
        summary="Replace my calendar URL (the old one stops working)",
        request=None,
        responses={200: CalendarFeedSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        feed = feeds.regenerate_feed_token(request.user, actor=request.user)
        return Response(_feed_body(request, feed))


class CalendarFeedIcsView(APIView):
    """The feed itself: no login (calendar apps can't), the token in the URL is the key."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

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
            {
                "name": "token",
                "in": "query",
                "required": True,
                "schema": {"type": "string"},
                "description": "The secret from the feed URL.",
            }
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
