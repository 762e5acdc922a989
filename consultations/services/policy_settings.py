"""The expert's choice of cancellation policy (applies to bookings made from now on)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from consultations import policies
from consultations.models import BookingAuditLog, Expert
from project.api_errors import ServiceError
from realtime.catalogue import POLICY_UPDATED
from realtime.events import publish_to_user

FIELDS = ("cancellation_policy", "reschedule_cutoff_hours", "max_reschedules")


def set_expert_policy(
    *,
    expert: Expert,
    actor: User,
    cancellation_policy: str,
    reschedule_cutoff_hours: int,
    max_reschedules: int,
) -> Expert:
    if cancellation_policy not in policies.TEMPLATES:
        raise ServiceError("Choose flexible, moderate or strict.", field="cancellation_policy")
    if not 0 <= reschedule_cutoff_hours <= policies.MAX_RESCHEDULE_CUTOFF_HOURS:
        raise ServiceError(
            f"Between 0 and {policies.MAX_RESCHEDULE_CUTOFF_HOURS} hours.",
            field="reschedule_cutoff_hours",
        )
    if not 0 <= max_reschedules <= policies.MAX_MAX_RESCHEDULES:
        raise ServiceError(
            f"Between 0 and {policies.MAX_MAX_RESCHEDULES}.", field="max_reschedules"
        )
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        before = {f: getattr(locked, f) for f in FIELDS}
        locked.cancellation_policy = cancellation_policy
        locked.reschedule_cutoff_hours = reschedule_cutoff_hours
        locked.max_reschedules = max_reschedules
        after = {f: getattr(locked, f) for f in FIELDS}
        if before != after:
            locked.save(update_fields=[*FIELDS, "updated_at"])
            BookingAuditLog.objects.create(
                expert=locked,
                actor=actor,
                action="policy_changed",
                details={"before": before, "after": after},
            )
            snapshot = policies.snapshot_for_expert(locked)
            publish_to_user(
                locked.user_id,
                POLICY_UPDATED,
                {
                    "expert_id": locked.pk,
                    "cancellation_policy": locked.cancellation_policy,
                    "reschedule_cutoff_hours": locked.reschedule_cutoff_hours,
                    "max_reschedules": locked.max_reschedules,
                    "summary": policies.describe(snapshot),
                },
            )
    return locked
