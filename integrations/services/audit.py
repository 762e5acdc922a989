"""The audit log of calendar and integration changes (one row per change)."""

from __future__ import annotations

from typing import Any

from consultations.models import Expert
from integrations.models import AuditEntry


def record(
    action: str,
    *,
    actor: Any = None,
    expert: Expert | None = None,
    target: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one entry; call inside the transaction that makes the change."""
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor_id=actor_id,
        expert=expert,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        details=details or {},
    )
