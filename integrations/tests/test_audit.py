"""The audit log: date-override changes are recorded with who and what."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from consultations.services import availability
from consultations.tests.scheduling_helpers import scheduling_expert, utc
from integrations.models import AuditEntry
from project.api_errors import ServiceError

pytestmark = pytest.mark.django_db


def test_date_override_changes_are_audited_after_commit(django_capture_on_commit_callbacks):
    expert = scheduling_expert()
    with time_machine.travel(utc(2026, 3, 1, 12), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            availability.set_date_override(
                expert, day=date(2026, 3, 7), windows=[], actor=expert.user
            )
        with django_capture_on_commit_callbacks(execute=True):
            availability.remove_date_override(expert, date(2026, 3, 7), actor=expert.user)
    entries = list(
        AuditEntry.objects.order_by("pk").values("action", "actor_id", "expert_id", "details")
    )
    assert entries == [
        {
            "action": "availability.override_created",
            "actor_id": expert.user_id,
            "expert_id": expert.pk,
            "details": {"date": "2026-03-07"},
        },
        {
            "action": "availability.override_removed",
            "actor_id": expert.user_id,
            "expert_id": expert.pk,
            "details": {"date": "2026-03-07"},
        },
    ]


def test_a_rolled_back_change_writes_no_audit_entry(django_capture_on_commit_callbacks):
    expert = scheduling_expert()
    with time_machine.travel(utc(2026, 3, 1, 12), tick=False):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ServiceError):
            availability.set_date_override(expert, day=date(2026, 2, 1), windows=[])
    assert not AuditEntry.objects.exists()
