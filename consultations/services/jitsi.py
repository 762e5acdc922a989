"""Jitsi meeting rooms: room ids, URLs, who may join when, and JWTs for token auth.

The join window is [start - JITSI_JOIN_BEFORE_MINUTES, end + JITSI_GRACE_AFTER_MINUTES];
the same bounds become the token's `nbf`/`exp`, so a leaked token is useless outside it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from project.api_errors import Conflict, NotAllowed


def _absolute(url: str) -> str:
    """Jitsi loads the avatar from its own origin, so a site path needs the site's host."""
    return f"{settings.SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url


if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from consultations.models import Consultation

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "jitsi"


@dataclass(frozen=True)
class JoinWindow:
    opens_at: datetime
    closes_at: datetime

    def contains(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at


class JitsiService:
    @staticmethod
    def create_meeting_room() -> str:
        # 128 bits from the OS CSPRNG: unguessable, and not derived from ids or names.
        return f"consult-{secrets.token_urlsafe(16)}"

    @staticmethod
    def domain() -> str:
        # Tolerate "https://meet.example.com/" in the env; Jitsi wants the bare host.
        raw = str(settings.JITSI_DOMAIN).strip()
        for prefix in ("https://", "http://"):
            if raw.startswith(prefix):
                raw = raw[len(prefix) :]
        return raw.rstrip("/")

    @staticmethod
    def room_name(consultation: Consultation) -> str:
        if not consultation.meeting_room_id:
            raise Conflict("This consultation has no meeting room yet.", code="no_meeting_room")
        return consultation.meeting_room_id

    @classmethod
    def get_meeting_url(cls, consultation: Consultation, token: str | None = None) -> str:
        url = f"https://{cls.domain()}/{quote(cls.room_name(consultation), safe='')}"
        if token:
            # Jitsi reads the token from the `jwt` query parameter.
            url += "?" + urlencode({"jwt": token})
        return url

    @staticmethod
    def join_window(consultation: Consultation) -> JoinWindow:
        return JoinWindow(
            opens_at=consultation.start_at - timedelta(minutes=settings.JITSI_JOIN_BEFORE_MINUTES),
            closes_at=consultation.end_at + timedelta(minutes=settings.JITSI_GRACE_AFTER_MINUTES),
        )

    @staticmethod
    def is_participant(user: User, consultation: Consultation) -> bool:
        return bool(user and user.is_authenticated) and user.id in consultation.participant_ids

    @classmethod
    def validate_meeting_access(
        cls, user: User, consultation: Consultation, now: datetime | None = None
    ) -> JoinWindow:
        """Return the join window if `user` may join now; otherwise raise NotAllowed (403).

        Checks, in order: participant, confirmed status, join window. Each refusal names
        its reason in both the message and the error code so the client can explain it.
        """
        from consultations.models import Consultation

        now = now or timezone.now()
        if not cls.is_participant(user, consultation):
            raise NotAllowed(
                "Only the client and the expert of this consultation can join its meeting.",
                code="not_participant",
            )
        status = consultation.status
        if status != Consultation.Status.CONFIRMED:
            reasons: dict[str, tuple[str, str]] = {
                Consultation.Status.PENDING: (
                    "not_confirmed",
                    "The expert has not confirmed this consultation yet, so its meeting "
                    "cannot be joined.",
                ),
                Consultation.Status.CANCELLED: (
                    "consultation_cancelled",
                    "This consultation was cancelled, so its meeting cannot be joined.",
                ),
                Consultation.Status.COMPLETED: (
                    "meeting_ended",
                    "This consultation is completed; its meeting has ended.",
                ),
                Consultation.Status.NO_SHOW: (
                    "meeting_closed",
                    "This consultation was closed as a no-show; its meeting cannot be joined.",
                ),
            }
            code, message = reasons.get(
                status, ("not_confirmed", "Only confirmed consultations can be joined.")
            )
            raise NotAllowed(message, code=code, extra={"status": status})
        window = cls.join_window(consultation)
        extra = {
            "join_opens_at": window.opens_at.isoformat(),
            "join_closes_at": window.closes_at.isoformat(),
        }
        if now < window.opens_at:
            raise NotAllowed(
                f"The meeting opens {settings.JITSI_JOIN_BEFORE_MINUTES} minutes before the "
                f"start, at {cls._when(user, consultation, window.opens_at)}.",
                code="meeting_not_open_yet",
                extra=extra,
            )
        if now > window.closes_at:
            raise NotAllowed(
                f"The meeting closed {settings.JITSI_GRACE_AFTER_MINUTES} minutes after the "
                f"scheduled end, at {cls._when(user, consultation, window.closes_at)}.",
                code="meeting_closed",
                extra=extra,
            )
        return window

    @staticmethod
    def _when(user: User, consultation: Consultation, moment: datetime) -> str:
        """A moment as this participant reads it: their zone, named, their clock."""
        from accounts.selectors import display_prefs
        from project.timefmt import format_datetime_for

        fallback = consultation.client_timezone if user.pk == consultation.user_id else ""
        return format_datetime_for(moment, display_prefs(user, fallback_zone=fallback))

    @classmethod
    def jwt_enabled(cls) -> bool:
        return bool(settings.JITSI_USE_JWT)

    @classmethod
    def generate_jwt_token(
        cls, user: User, consultation: Consultation, now: datetime | None = None
    ) -> str | None:
        """A token for Jitsi's token authentication (Prosody mod_auth_token), or None if off.

        Claims follow Jitsi's token format: iss = app id, aud = "jitsi", sub = the domain,
        room = this consultation's room only (never "*"), nbf/exp = the join window.
        Callers check access first (validate_meeting_access); this only refuses outsiders,
        because the token names the user.
        """
        if not cls.jwt_enabled():
            return None
        if not settings.JITSI_SECRET or not settings.JITSI_APP_ID:
            raise ImproperlyConfigured("JITSI_USE_JWT needs JITSI_APP_ID and JITSI_SECRET.")
        if not cls.is_participant(user, consultation):
            raise NotAllowed(
                "Only the client and the expert of this consultation can join its meeting.",
                code="not_participant",
            )
        now = now or timezone.now()
        window = cls.join_window(consultation)
        expert = consultation.expert
        is_expert = user.id == expert.user_id
        payload: dict[str, Any] = {
            "iss": settings.JITSI_APP_ID,
            "aud": JWT_AUDIENCE,
            "sub": cls.domain(),
            "room": cls.room_name(consultation),
            "iat": int(now.timestamp()),
            "nbf": int(window.opens_at.timestamp()),
            "exp": int(window.closes_at.timestamp()),
            "context": {
                "user": {
                    "id": str(user.id),
                    "name": (expert.name if is_expert else "")
                    or user.get_full_name()
                    or user.email,
                    "email": user.email,
                    "avatar": _absolute(expert.picture_url() or "") if is_expert else "",
                    "moderator": is_expert,
                }
            },
        }
        return jwt.encode(payload, settings.JITSI_SECRET, algorithm=JWT_ALGORITHM)
