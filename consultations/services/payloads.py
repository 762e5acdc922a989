"""The JSON a booking event carries (booking.* on the /ws/ socket)."""

from __future__ import annotations

from typing import Any

from consultations.models import Consultation


def event_payload(c: Consultation) -> dict[str, Any]:
    return {
        "id": c.pk,
        "status": c.status,
        "start_at": c.start_at.isoformat(),
        "end_at": c.end_at.isoformat(),
        "duration_minutes": c.duration_minutes,
        "topic": c.topic,
        "user_id": c.user_id,
        "user_name": c.user.get_full_name() or c.user.email,
        "expert_id": c.expert_id,
        "expert_name": c.expert.name,
        "expert_user_id": c.expert.user_id,
        "payment_status": c.payment_status,
        "rescheduled_from_id": c.rescheduled_from_id,
        "cancelled_by_id": c.cancelled_by_id,
        "cancellation_reason": c.cancellation_reason,
        "cancellation_cause": c.cancellation_cause,
        "no_show_party": c.no_show_party,
        "policy_waived": c.policy_waived_at is not None,
    }
