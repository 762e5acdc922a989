"""Listeners for the domain signals of other apps (audit of date overrides, webhooks)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from consultations import signals as consultation_signals
from project import followups

if TYPE_CHECKING:  # types only: listeners are connected before the models load
    from django.contrib.auth.models import User

    from consultations.models import Consultation, Expert

logger = logging.getLogger(__name__)


def on_availability_changed(
    sender: object,
    expert: Expert,
    actor: User | None,
    change: str,
    details: dict[str, Any],
    **kwargs: Any,
) -> None:
    from integrations.services import audit

    try:
        audit.record(f"availability.{change}", actor=actor, expert=expert, details=details)
    except Exception:  # an audit failure must not break the committed request
        logger.exception("could not audit %s", change)


def _webhook(event_type: str, consultation: Consultation, **extra: Any) -> None:
    from consultations.services.payloads import event_payload
    from integrations.services import webhooks

    if not webhooks.may_have_subscribers(consultation.expert_id):
        return  # nobody to tell: no payload, no lookup
    data = event_payload(consultation) | extra
    # In a follow-up task, dispatched once even if that task is delivered again.
    with followups.once(f"webhook:{event_type}") as todo:
        if not todo:
            return
        try:
            webhooks.dispatch(event_type, data, expert_id=consultation.expert_id)
        except Exception:  # a webhook failure must not break the committed request
            logger.exception("could not queue webhook %s", event_type)


def on_consultation_created(sender: object, consultation: Consultation, **kwargs: Any) -> None:
    if consultation.rescheduled_from_id:
        return  # announced as booking.rescheduled
    _webhook("booking.created", consultation)


def on_status_changed(
    sender: object, consultation: Consultation, change: str, **kwargs: Any
) -> None:
    from consultations.services.payloads import event_payload

    if change == "confirmed":
        _webhook("booking.confirmed", consultation)
    elif change == "cancelled":
        _webhook("booking.cancelled", consultation)
    elif change == "rescheduled":
        previous = consultation.rescheduled_from
        _webhook(
            "booking.rescheduled",
            consultation,
            previous=event_payload(previous) if previous is not None else None,
        )
    elif change == "completed":
        _webhook(
            "meeting.ended",
            consultation,
            meeting_started_at=_iso(consultation.meeting_started_at),
            meeting_ended_at=_iso(consultation.meeting_ended_at),
        )


def on_meeting_started(sender: object, consultation: Consultation, **kwargs: Any) -> None:
    _webhook(
        "meeting.started", consultation, meeting_started_at=_iso(consultation.meeting_started_at)
    )


def on_consultation_rated(
    sender: object, consultation: Consultation, review: Any, **kwargs: Any
) -> None:
    # Field names kept from before reviews had their own table (integrators read them).
    _webhook(
        "review.created",
        consultation,
        rating=review.rating,
        review=review.text,
        rated_at=_iso(review.created_at),
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def connect() -> None:
    consultation_signals.consultation_created.connect(
        on_consultation_created, dispatch_uid="integrations.webhooks.created"
    )
    consultation_signals.consultation_status_changed.connect(
        on_status_changed, dispatch_uid="integrations.webhooks.status_changed"
    )
    consultation_signals.meeting_started.connect(
        on_meeting_started, dispatch_uid="integrations.webhooks.meeting_started"
    )
    consultation_signals.consultation_rated.connect(
        on_consultation_rated, dispatch_uid="integrations.webhooks.rated"
    )
    consultation_signals.availability_changed.connect(
        on_availability_changed, dispatch_uid="integrations.audit.availability_changed"
    )
