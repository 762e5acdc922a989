"""Reads for the meeting endpoints: which consultation a user may see, and its join link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from consultations.models import Consultation
from consultations.services.jitsi import JitsiService
from project.api_errors import NotFound

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class MeetingLink:
    consultation_id: int
    url: str
    room: str
    domain: str
    token: str | None
    jwt_enabled: bool
    is_moderator: bool
    join_opens_at: datetime
    join_closes_at: datetime
    meeting_started_at: datetime | None


def consultation_for_participant(*, user: User, pk: int) -> Consultation:
    """The consultation if `user` is its client or expert; NotFound otherwise.

    Outsiders get 404, not 403, so consultation ids cannot be probed for existence.
    """
    consultation = (
        Consultation.objects.select_related("expert", "user")
        .filter(Q(user_id=user.id) | Q(expert__user_id=user.id), pk=pk)
        .first()
    )
    if consultation is None:
        raise NotFound("Consultation not found.")
    return consultation


def meeting_link(
    *, user: User, consultation: Consultation, now: datetime | None = None
) -> MeetingLink:
    now = now or timezone.now()
    window = JitsiService.validate_meeting_access(user, consultation, now=now)
    token = JitsiService.generate_jwt_token(user, consultation, now=now)
    return MeetingLink(
        consultation_id=consultation.pk,
        url=JitsiService.get_meeting_url(consultation, token=token),
        room=JitsiService.room_name(consultation),
        domain=JitsiService.domain(),
        token=token,
        jwt_enabled=JitsiService.jwt_enabled(),
        is_moderator=user.id == consultation.expert.user_id,
        join_opens_at=window.opens_at,
        join_closes_at=window.closes_at,
        meeting_started_at=consultation.meeting_started_at,
    )
