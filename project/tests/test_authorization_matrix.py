"""Authorization matrix: every API endpoint x every kind of caller gets exactly its answer.

The endpoints come from the resolved URLconf, so an endpoint added without a row in MATRIX
fails `test_every_endpoint_has_a_matrix_row` (and a row for a removed endpoint fails it too).

Callers (ROLES):
  anon          no credentials
  user          a client: owns the consultation, the conversation, a notification and an
                expert application with a document
  other_user    a client with nothing of the above
  expert        the approved expert of that consultation and conversation
  other_expert  an approved expert with no relation to them
  staff         is_staff, not a participant in anything

Every request authenticates the way a real client does (DRF token header), in a fresh
database state, with a body that is valid for a caller who is allowed, so a 2xx means
"allowed" and 403/404 means "refused" rather than "bad input".
"""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from consultations.models import (
    Consultation,
    Expert,
    ExpertAvailability,
    ExpertUnavailability,
)
from consultations.tests.factories import make_consultation, make_expert

ROLES = ("anon", "user", "other_user", "expert", "other_expert", "staff")

# Routes outside the API contract: Django admin (its own staff login), the SPA catch-all.
EXCLUDED_PREFIXES = ("admin/",)
EXCLUDED_NAMES = {"spa", "api-not-found"}  # the JSON 404 for unknown /api/ URLs

_seq = itertools.count(1)


def _png_bytes() -> bytes:
    """A valid 1x1 PNG, so upload checks that sniff content accept it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _photo() -> SimpleUploadedFile:
    """A photo big enough for the expert-photo checks (64 px or more on each side)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (80, 80), (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def _photo_name(w: World) -> dict[str, str]:
    from consultations.services.expert_photo import set_expert_photo

    expert = set_expert_photo(expert=w.expert, actor=w.expert.user, upload=_photo())
    return {"<str:name>": f"{expert.photo_key}-128.webp"}


def _pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    users: dict[str, User | None]
    expert: Expert
    other_expert: Expert
    consultation: Consultation
    pending: Consultation
    completed: Consultation
    block: Any
    conversation: Any
    message: Any
    attachment_message: Any
    notification: Any
    application: Any
    document: Any
    passwords: dict[str, str] = field(default_factory=dict)
    review: Any = None


def _build_world() -> World:
    from chat import services as chat_services
    from consultations.services import verification as verification_services
    from notifications.models import Notification

    def person(prefix: str, **extra: Any) -> User:
        email = f"{prefix}{next(_seq)}@matrix.test"
        return User.objects.create_user(username=email, email=email, password="pw-123456", **extra)

    user = person("user")
    other_user = person("other")
    expert = make_expert(person("expert"))
    other_expert = make_expert(person("oexpert"))
    staff = person("staff", is_staff=True)

    # Starts in 5 minutes: inside the meeting join window, so the meeting endpoints can succeed.
    consultation = make_consultation(
        user=user,
        expert=expert,
        start_at=timezone.now().replace(microsecond=0) + timedelta(minutes=5),
        status=Consultation.Status.CONFIRMED,
    )
    # The expert works 06:00-22:00 UTC every day, so the booking rows have free slots.
    for weekday in range(7):
        ExpertAvailability.objects.create(
            expert=expert, weekday=weekday, start_time=time(6), end_time=time(22)
        )
    pending = make_consultation(
        user=user, expert=expert, start_at=_day(2), status=Consultation.Status.PENDING
    )
    completed = make_consultation(
        user=user, expert=expert, start_at=_day(-3), status=Consultation.Status.COMPLETED
    )
    block = ExpertUnavailability.objects.create(
        expert=expert, start_at=_day(20), end_at=_day(21), reason="Holiday"
    )
    conversation, _ = chat_services.get_or_create_conversation(user=user, expert_id=expert.pk)
    message = chat_services.send_message(
        sender=user, conversation_id=conversation.pk, text="hello", client_id="m-1"
    ).message
    attachment_message = chat_services.send_message(
        sender=user,
        conversation_id=conversation.pk,
        text="",
        client_id="m-2",
        attachment=SimpleUploadedFile("dot.png", _png_bytes(), content_type="image/png"),
    ).message
    notification = Notification.objects.create(
        recipient=user, kind=Notification.Kind.values[0], title="Hello"
    )
    application, _ = verification_services.apply_for_expert(
        user=user, motivation="m", expertise="e", experience="x"
    )
    document = verification_services.upload_verification_document(
        user=user,
        file=SimpleUploadedFile("id.pdf", _pdf_bytes(), content_type="application/pdf"),
        document_type=_document_type(),
    )
    from consultations.services import reviews

    reviewed = make_consultation(
        user=user, expert=expert, start_at=_day(-4), status=Consultation.Status.COMPLETED
    )
    review = reviews.post_review(consultation_id=reviewed.pk, actor=user, rating=4)
    return World(
        users={
            "anon": None,
            "user": user,
            "other_user": other_user,
            "expert": expert.user,
            "other_expert": other_expert.user,
            "staff": staff,
        },
        expert=expert,
        other_expert=other_expert,
        consultation=consultation,
        pending=pending,
        completed=completed,
        block=block,
        conversation=conversation,
        message=message,
        attachment_message=attachment_message,
        notification=notification,
        application=application,
        document=document,
        review=review,
    )


def _day(days: int, hour: int = 10) -> datetime:
    """`hour`:00 UTC `days` from today: on the 30-minute slot grid, inside working hours."""
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days, hours=hour)


def _document_type() -> str:
    from consultations.models import ExpertVerificationDocument

    return ExpertVerificationDocument.DocumentType.values[0]


# --------------------------------------------------------------------------- the matrix

Body = Callable[[World, str], Any]


@dataclass(frozen=True)
class Row:
    """Expected status per role, in ROLES order; `pk` fills the route's <int:pk>."""

    expect: tuple[int, int, int, int, int, int]
    pk: Callable[[World], int] | None = None
    body: Body | None = None
    multipart: bool = False
    query: Callable[[World], dict] | None = None
    setup: Callable[[World], None] | None = None
    # Other route parameters, e.g. {"<str:day>": "2026-03-07"}.
    args: Callable[[World], dict[str, str]] | None = None


def _new_email(w: World, role: str) -> dict:
    return {"email": f"new-{role}-{next(_seq)}@matrix.test", "password": "a-Long-pass-9876"}


def _login_body(w: World, role: str) -> dict:
    who = w.users[role] or w.users["user"]
    assert who is not None
    return {"email": who.email, "password": "pw-123456"}


def _reset_confirm_body(w: World, role: str) -> dict:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    who = w.users["user"]
    assert who is not None
    return {
        "uid": urlsafe_base64_encode(force_bytes(who.pk)),
        "token": default_token_generator.make_token(who),
        "new_password": "a-Long-pass-9876",
    }


def _email_confirm_body(w: World, role: str) -> dict:
    from django.core import signing

    from accounts.services import EMAIL_CHANGE_SALT

    who = w.users["user"]
    assert who is not None
    new = f"confirmed-{next(_seq)}@matrix.test"
    return {
        "token": signing.dumps(
            {"user": who.pk, "old": who.email, "new": new}, salt=EMAIL_CHANGE_SALT
        )
    }


def _users_api_token(w: World) -> int:
    from accounts.services import create_api_token

    who = w.users["user"]
    assert who is not None
    return create_api_token(user=who, name="matrix")[0].pk


def _apply_body(w: World, role: str) -> dict:
    return {"motivation": "I help", "expertise": "Tax", "experience": "10 years"}


def _upload_body(w: World, role: str) -> dict:
    return {
        "file": SimpleUploadedFile("more.pdf", _pdf_bytes(), content_type="application/pdf"),
        "document_type": _document_type(),
    }


def _send_body(w: World, role: str) -> dict:
    return {"text": f"from {role}", "client_id": f"c-{role}-{next(_seq)}"}


def _user_blocks(w: World) -> None:
    from chat import services as chat_services

    user = w.users["user"]
    assert user is not None
    chat_services.block_conversation(user=user, conversation_id=w.conversation.pk)


def _hide_review(w: World) -> None:
    from consultations.services import reviews

    staff = w.users["staff"]
    assert staff is not None
    reviews.hide_review(review_id=w.review.pk, actor=staff, reason="Abuse")


def _expert_override(w: World) -> None:
    from consultations.services import availability

    availability.set_date_override(w.expert, day=_day(9).date(), windows=[])


def _expert_feed(w: World) -> int:
    from integrations.models import ExternalCalendarFeed

    feed, _ = ExternalCalendarFeed.objects.get_or_create(
        expert=w.expert, url="https://10.255.255.1/private.ics"
    )
    return feed.pk


def _expert_webhook(w: World) -> int:
    from integrations.models import WebhookEndpoint

    endpoint, _ = WebhookEndpoint.objects.get_or_create(
        owner=w.expert.user,
        expert=w.expert,
        url="https://10.255.255.1/hook",
        defaults={"events": ["booking.created"], "secret": "whsec_test"},
    )
    return endpoint.pk


def _expert_delivery(w: World) -> dict[str, str]:
    from integrations.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get(pk=_expert_webhook(w))
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="booking.created", payload={"id": "evt_1"}
    )
    return {"<uuid:delivery_id>": str(delivery.pk)}


def _user_feed_token(w: World) -> dict:
    from integrations.services import feeds

    owner = w.users["user"]
    assert owner is not None
    return {"token": feeds.get_or_create_feed(owner).token}


def _book_body(w: World, role: str) -> dict:
    return {
        "expert_id": w.expert.pk,
        "start_at": _day(4).isoformat(),
        "duration_minutes": 60,
        "topic": "Taxes",
    }


A = "api/v1/auth/"
C = "api/v1/consultations/"
CH = "api/v1/consultations/chat/"
N = "api/v1/notifications/"
INT = "api/v1/integrations/"

#           anon user other expert oexp staff
PUBLIC = (200, 200, 200, 200, 200, 200)
ANY_SIGNED_IN = (403, 200, 200, 200, 200, 200)
STAFF_ONLY = (403, 403, 403, 403, 403, 200)
USER_AND_EXPERT = (403, 200, 404, 200, 404, 404)
EXPERTS_ONLY = (403, 403, 403, 200, 200, 403)

MATRIX: dict[tuple[str, str], Row] = {
    ("api/schema/", "GET"): Row(PUBLIC),
    ("api/docs/", "GET"): Row(PUBLIC),
    ("healthz", "GET"): Row(PUBLIC),
    # Prometheus scrapes it; the proxy (deploy/nginx.conf) does not expose it outside.
    ("metrics", "GET"): Row(PUBLIC),
    # accounts
    (A + "register/", "POST"): Row((201, 201, 201, 201, 201, 201), body=_new_email),
    (A + "login/", "POST"): Row(PUBLIC, body=_login_body),
    (A + "logout/", "POST"): Row((403, 204, 204, 204, 204, 204)),
    (A + "me/", "GET"): Row(ANY_SIGNED_IN),
    (A + "session/", "GET"): Row(PUBLIC),
    (A + "profile/", "GET"): Row(ANY_SIGNED_IN),
    (A + "profile/", "PATCH"): Row(ANY_SIGNED_IN, body=lambda w, r: {"time_format": "12h"}),
    (A + "password/change/", "POST"): Row(
        ANY_SIGNED_IN,
        body=lambda w, r: {"current_password": "pw-123456", "new_password": "a-Long-pass-9876"},
    ),
    (A + "password/reset/", "POST"): Row(PUBLIC, body=lambda w, r: {"email": "x@matrix.test"}),
    (A + "password/reset/confirm/", "POST"): Row(PUBLIC, body=_reset_confirm_body),
    (A + "email/change/", "POST"): Row(
        (403, 202, 202, 202, 202, 202),
        body=lambda w, r: {"new_email": f"moved-{r}@matrix.test", "password": "pw-123456"},
    ),
    (A + "email/confirm/", "POST"): Row(PUBLIC, body=_email_confirm_body),
    (A + "tokens/", "GET"): Row(ANY_SIGNED_IN),
    (A + "tokens/", "POST"): Row(
        (403, 201, 201, 201, 201, 201), body=lambda w, r: {"name": "script"}
    ),
    # Each person revokes only their own tokens; the token belongs to `user`.
    (A + "tokens/<int:pk>/", "DELETE"): Row((403, 204, 404, 404, 404, 404), pk=_users_api_token),
    # expert directory: public
    (C + "experts/", "GET"): Row(PUBLIC),
    (C + "experts/<int:pk>/", "GET"): Row(PUBLIC, pk=lambda w: w.expert.pk),
    (C + "experts/currencies/", "GET"): Row(PUBLIC),
    # Every expert edits only their own profile; people without one have nothing there.
    (C + "experts/me/", "GET"): Row((403, 404, 404, 200, 200, 404)),
    (C + "experts/me/", "PATCH"): Row(
        (403, 404, 404, 200, 200, 404), body=lambda w, r: {"headline": f"Edited by {r}"}
    ),
    (C + "experts/me/photo/", "POST"): Row(
        (403, 404, 404, 200, 200, 404), body=lambda w, r: {"photo": _photo()}, multipart=True
    ),
    (C + "experts/me/photo/", "DELETE"): Row((403, 404, 404, 200, 200, 404)),
    # Photos are as public as the profiles that show them.
    (C + "experts/photos/<str:name>", "GET"): Row(PUBLIC, args=_photo_name),
    # verification: `user` has an open application with one document
    (C + "experts/me/policy/", "GET"): Row((403, 403, 403, 200, 200, 403)),
    (C + "experts/me/policy/", "PUT"): Row(
        (403, 403, 403, 200, 200, 403),
        body=lambda w, r: {
            "cancellation_policy": "moderate",
            "reschedule_cutoff_hours": 24,
            "max_reschedules": 2,
        },
    ),
    (C + "experts/me/earnings/", "GET"): Row((403, 403, 403, 200, 200, 403)),
    (C + "experts/me/ledger.csv", "GET"): Row((403, 403, 403, 200, 200, 403)),
    (C + "experts/apply/", "POST"): Row((403, 400, 201, 400, 400, 201), body=_apply_body),
    (C + "experts/my-application/", "GET"): Row((403, 200, 404, 404, 404, 404)),
    (C + "experts/upload-document/", "POST"): Row(
        (403, 201, 400, 400, 400, 400), body=_upload_body, multipart=True
    ),
    (C + "experts/verification-status/", "GET"): Row(ANY_SIGNED_IN),
    (C + "experts/documents/<int:pk>/file/", "GET"): Row(
        (403, 200, 404, 404, 404, 200), pk=lambda w: w.document.pk
    ),
    (C + "admin/applications/", "GET"): Row(STAFF_ONLY),
    (C + "admin/applications/<int:pk>/review/", "POST"): Row(
        STAFF_ONLY,
        pk=lambda w: w.application.pk,
        body=lambda w, r: {"decision": "approve", "notes": "ok"},
    ),
    # meetings of the user-expert consultation
    (C + "consultations/<int:pk>/meeting-link/", "GET"): Row(
        USER_AND_EXPERT, pk=lambda w: w.consultation.pk
    ),
    (C + "consultations/<int:pk>/start/", "POST"): Row(
        USER_AND_EXPERT, pk=lambda w: w.consultation.pk
    ),
    # Not started yet: a participant is told so (409); outsiders still learn nothing (404).
    (C + "consultations/<int:pk>/end/", "POST"): Row(
        (403, 409, 404, 409, 404, 404), pk=lambda w: w.consultation.pk
    ),
    # scheduling: public reads of an approved expert; each expert edits only their own
    (C + "experts/<int:pk>/availability/", "GET"): Row(PUBLIC, pk=lambda w: w.expert.pk),
    (C + "experts/<int:pk>/time-slots/", "GET"): Row(
        PUBLIC, pk=lambda w: w.expert.pk, query=lambda w: {"date": _day(4).date().isoformat()}
    ),
    (C + "experts/availability/update/", "POST"): Row(
        EXPERTS_ONLY,
        body=lambda w, r: {"rules": [{"weekday": 0, "start_time": "09:00", "end_time": "17:00"}]},
    ),
    (C + "experts/availability/settings/", "GET"): Row(EXPERTS_ONLY),
    (C + "experts/availability/settings/", "PATCH"): Row(
        EXPERTS_ONLY, body=lambda w, r: {"buffer_after_minutes": 10}
    ),
    (C + "experts/availability/blocks/", "GET"): Row(EXPERTS_ONLY),
    (C + "experts/availability/blocks/", "POST"): Row(
        (403, 403, 403, 201, 201, 403),
        body=lambda w, r: {
            "start_at": _day(30).isoformat(),
            "end_at": _day(31).isoformat(),
            "reason": "Trip",
        },
    ),
    # The expert's own block; another expert cannot even see that it exists.
    (C + "experts/availability/blocks/<int:pk>/", "DELETE"): Row(
        (403, 403, 403, 204, 404, 403), pk=lambda w: w.block.pk
    ),
    # date overrides: each expert lists and edits only their own
    (C + "experts/availability/overrides/", "GET"): Row(EXPERTS_ONLY),
    (C + "experts/availability/overrides/<str:day>/", "PUT"): Row(
        EXPERTS_ONLY,
        args=lambda w: {"<str:day>": _day(9).date().isoformat()},
        body=lambda w, r: {"windows": [{"start_time": "10:00", "end_time": "12:00"}]},
    ),
    (C + "experts/availability/overrides/<str:day>/", "DELETE"): Row(
        (403, 403, 403, 204, 404, 403),
        args=lambda w: {"<str:day>": _day(9).date().isoformat()},
        setup=_expert_override,
    ),
    # calendar feed: each signed-in person has their own; the .ics answers its token only
    (INT + "calendar-feed/", "GET"): Row(ANY_SIGNED_IN),
    (INT + "calendar-feed/regenerate/", "POST"): Row(ANY_SIGNED_IN),
    (INT + "calendar.ics", "GET"): Row(PUBLIC, query=_user_feed_token),
    # external calendars: each expert manages only their own
    (INT + "calendars/", "GET"): Row(EXPERTS_ONLY),
    (INT + "calendars/", "POST"): Row(
        (403, 403, 403, 201, 201, 403),
        body=lambda w, r: {"url": f"https://calendar.example.com/{r}.ics"},
    ),
    (INT + "calendars/<int:pk>/", "PATCH"): Row(
        (403, 403, 403, 200, 404, 403), pk=_expert_feed, body=lambda w, r: {"name": "Work"}
    ),
    (INT + "calendars/<int:pk>/", "DELETE"): Row((403, 403, 403, 204, 404, 403), pk=_expert_feed),
    # 200 with the fetch error recorded (a private address, refused before any connection).
    (INT + "calendars/<int:pk>/sync/", "POST"): Row(
        (403, 403, 403, 200, 404, 403), pk=_expert_feed
    ),
    # webhooks: experts and staff, each only their own endpoints
    (INT + "webhooks/", "GET"): Row((403, 403, 403, 200, 200, 200)),
    (INT + "webhooks/", "POST"): Row(
        (403, 403, 403, 201, 201, 201),
        body=lambda w, r: {"url": f"https://hooks.example.com/{r}", "events": ["booking.created"]},
    ),
    (INT + "webhooks/<int:pk>/", "PATCH"): Row(
        (403, 404, 404, 200, 404, 404), pk=_expert_webhook, body=lambda w, r: {"active": False}
    ),
    (INT + "webhooks/<int:pk>/", "DELETE"): Row((403, 404, 404, 204, 404, 404), pk=_expert_webhook),
    (INT + "webhooks/<int:pk>/rotate-secret/", "POST"): Row(
        (403, 404, 404, 200, 404, 404), pk=_expert_webhook
    ),
    (INT + "webhooks/<int:pk>/deliveries/", "GET"): Row(
        (403, 404, 404, 200, 404, 404), pk=_expert_webhook
    ),
    (INT + "webhooks/deliveries/<uuid:delivery_id>/replay/", "POST"): Row(
        (403, 404, 404, 202, 404, 404), args=_expert_delivery
    ),
    # bookings
    (C + "consultations/book/", "POST"): Row((403, 201, 201, 400, 201, 201), body=_book_body),
    (C + "consultations/upcoming/", "GET"): Row(ANY_SIGNED_IN),
    (C + "consultations/past/", "GET"): Row(ANY_SIGNED_IN),
    (C + "consultations/<int:pk>/", "GET"): Row(USER_AND_EXPERT, pk=lambda w: w.consultation.pk),
    # Pending: only its expert confirms; the client is refused, outsiders see nothing.
    (C + "consultations/<int:pk>/confirm/", "POST"): Row(
        (403, 403, 404, 200, 404, 404), pk=lambda w: w.pending.pk
    ),
    (C + "consultations/<int:pk>/cancel/", "POST"): Row(
        USER_AND_EXPERT, pk=lambda w: w.pending.pk, body=lambda w, r: {"reason": "Sick"}
    ),
    (C + "consultations/<int:pk>/reschedule/", "POST"): Row(
        (403, 201, 404, 201, 404, 404),
        pk=lambda w: w.pending.pk,
        body=lambda w, r: {"start_at": _day(5).isoformat(), "reason": "Clash"},
    ),
    # Completed: only its client rates it.
    (C + "consultations/<int:pk>/waive-policy/", "POST"): Row(
        (403, 403, 404, 200, 404, 404), pk=lambda w: w.pending.pk, body=lambda w, r: {}
    ),
    (C + "consultations/<int:pk>/rate/", "POST"): Row(
        (403, 200, 404, 403, 404, 404), pk=lambda w: w.completed.pk, body=lambda w, r: {"rating": 5}
    ),
    # Reviews: the completed one is the client's to review; `reviewed` already has a review.
    (C + "consultations/<int:pk>/review/", "POST"): Row(
        (403, 201, 404, 403, 404, 404), pk=lambda w: w.completed.pk, body=lambda w, r: {"rating": 5}
    ),
    (C + "experts/<int:pk>/reviews/", "GET"): Row(
        (200, 200, 200, 200, 200, 200), pk=lambda w: w.expert.pk
    ),
    (C + "reviews/<int:pk>/reply/", "PUT"): Row(
        (403, 403, 403, 200, 403, 403),
        pk=lambda w: w.review.pk,
        body=lambda w, r: {"reply": "Thanks"},
    ),
    (C + "reviews/<int:pk>/hide/", "POST"): Row(
        (403, 403, 403, 403, 403, 200),
        pk=lambda w: w.review.pk,
        body=lambda w, r: {"reason": "Abuse"},
    ),
    (C + "reviews/<int:pk>/hide/", "DELETE"): Row(
        (403, 403, 403, 403, 403, 200), pk=lambda w: w.review.pk, setup=_hide_review
    ),
    (C + "experts/consultations/", "GET"): Row(EXPERTS_ONLY),
    (C + "experts/dashboard/", "GET"): Row(EXPERTS_ONLY),
    # chat between user and expert
    (CH, "GET"): Row((403, 200, 404, 404, 404, 404), query=lambda w: {"expert_id": w.expert.pk}),
    (CH, "POST"): Row((403, 200, 201, 400, 201, 201), body=lambda w, r: {"expert_id": w.expert.pk}),
    (CH + "list/", "GET"): Row(ANY_SIGNED_IN),
    (CH + "unread-count/", "GET"): Row(ANY_SIGNED_IN),
    (CH + "<int:pk>/", "GET"): Row(USER_AND_EXPERT, pk=lambda w: w.conversation.pk),
    (CH + "<int:pk>/messages/", "GET"): Row(USER_AND_EXPERT, pk=lambda w: w.conversation.pk),
    (CH + "<int:pk>/send/", "POST"): Row(
        (403, 201, 404, 201, 404, 404), pk=lambda w: w.conversation.pk, body=_send_body
    ),
    (CH + "<int:pk>/read/", "POST"): Row(
        USER_AND_EXPERT, pk=lambda w: w.conversation.pk, body=lambda w, r: {}
    ),
    (CH + "<int:pk>/typing/", "POST"): Row(
        USER_AND_EXPERT, pk=lambda w: w.conversation.pk, body=lambda w, r: {}
    ),
    (CH + "<int:pk>/archive/", "POST"): Row(USER_AND_EXPERT, pk=lambda w: w.conversation.pk),
    (CH + "<int:pk>/archive/", "DELETE"): Row(USER_AND_EXPERT, pk=lambda w: w.conversation.pk),
    (CH + "<int:pk>/block/", "POST"): Row(USER_AND_EXPERT, pk=lambda w: w.conversation.pk),
    # Blocked by the user: only the user may lift it.
    (CH + "<int:pk>/block/", "DELETE"): Row(
        (403, 200, 404, 403, 404, 404), pk=lambda w: w.conversation.pk, setup=_user_blocks
    ),
    # The user's own text message: only its sender may change it; the peer is refused.
    (CH + "messages/<int:pk>/", "PATCH"): Row(
        (403, 200, 404, 403, 404, 404),
        pk=lambda w: w.message.pk,
        body=lambda w, r: {"text": "edited"},
    ),
    (CH + "messages/<int:pk>/", "DELETE"): Row(
        (403, 204, 404, 403, 404, 404), pk=lambda w: w.message.pk
    ),
    (CH + "messages/<int:pk>/attachment/", "GET"): Row(
        USER_AND_EXPERT, pk=lambda w: w.attachment_message.pk
    ),
    # notifications: the one notification belongs to `user`
    (N, "GET"): Row(ANY_SIGNED_IN),
    (N + "unread-count/", "GET"): Row(ANY_SIGNED_IN),
    (N + "read-all/", "POST"): Row(ANY_SIGNED_IN),
    (N + "<int:pk>/read/", "POST"): Row(
        (403, 200, 404, 404, 404, 404), pk=lambda w: w.notification.pk
    ),
}


# --------------------------------------------------------------------------- discovery


def _view_methods(callback: Callable) -> list[str]:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:  # a plain function view answers GET
        return ["GET"]
    return sorted(
        m.upper()
        for m in cls.http_method_names
        if m not in ("options", "head", "trace") and hasattr(cls, m)
    )


def _walk(patterns, prefix: str = ""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route, p


def discovered_endpoints() -> set[tuple[str, str]]:
    found = set()
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(EXCLUDED_PREFIXES) or pattern.name in EXCLUDED_NAMES:
            continue
        for method in _view_methods(pattern.callback):
            found.add((route, method))
    return found


def test_every_endpoint_has_a_matrix_row():
    found = discovered_endpoints()
    missing = sorted(found - MATRIX.keys())
    stale = sorted(MATRIX.keys() - found)
    assert not missing, f"endpoints without an authorization matrix row: {missing}"
    assert not stale, f"matrix rows for endpoints that no longer exist: {stale}"


# --------------------------------------------------------------------------- requests


def _client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _call(world: World, route: str, method: str, row: Row, role: str):
    path = "/" + route
    if "<int:pk>" in path:
        assert row.pk is not None, f"{route} needs a pk"
        path = path.replace("<int:pk>", str(row.pk(world)))
    for token, value in (row.args(world) if row.args else {}).items():
        path = path.replace(token, value)
    client = _client_for(world.users[role])
    data = row.body(world, role) if row.body else None
    kwargs: dict[str, Any] = {}
    if method == "GET":
        return client.get(path, row.query(world) if row.query else None)
    if row.multipart:
        kwargs["format"] = "multipart"
    elif data is not None:
        kwargs["format"] = "json"
    return getattr(client, method.lower())(path, data, **kwargs)


CASES = [
    pytest.param(route, method, role, id=f"{method} /{route} as {role}")
    for (route, method) in sorted(MATRIX)
    for role in ROLES
]


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(("route", "method", "role"), CASES)
def test_authorization(route: str, method: str, role: str, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = _build_world()
    row = MATRIX[(route, method)]
    if row.setup:
        row.setup(world)
    expected = row.expect[ROLES.index(role)]
    res = _call(world, route, method, row, role)
    body = _short(res)
    assert res.status_code == expected, (
        f"{method} /{route} as {role}: expected {expected}, got {res.status_code}: {body}"
    )


def _short(res) -> str:
    if getattr(res, "streaming", False):
        return "<file>"
    return res.content[:300].decode(errors="replace")


# --------------------------------------------------------------------------- no leaks in lists


@pytest.mark.django_db
def test_lists_show_only_the_callers_own_rows(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = _build_world()
    for role in ROLES[1:]:
        client = _client_for(w.users[role])
        notifications = client.get("/" + N).json()
        ids = {n["id"] for n in notifications.get("results", notifications)}
        assert (w.notification.pk in ids) == (role == "user"), role

        chats = client.get("/" + CH + "list/").json()
        ids = {c["id"] for c in chats.get("results", chats)}
        assert (w.conversation.pk in ids) == (role in ("user", "expert")), role
