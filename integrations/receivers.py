"""Listeners for the domain signals of other apps (audit of date overrides, webhooks)."""

from __future__ import annotations

import logging
from typing import Any

from consultations import signals as consultation_signals

logger = logging.getLogger(__name__)


def on_availability_changed(
    sender: Any, expert: Any, actor: Any, change: str, details: dict, **kwargs: Any
) -> None:
    from integrations.services import audit

    try:
        audit.record(f"availability.{change}", actor=actor, expert=expert, details=details)
    except Exception:  # an audit failure must not break the committed request
        logger.exception("could not audit %s", change)


def connect() -> None:
    consultation_signals.availability_changed.connect(
        on_availability_changed, dispatch_uid="integrations.audit.availability_changed"
    )
