"""Every periodic task is registered with Celery, scheduled by beat, and runs its service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from consultations.models import Expert, IdempotencyKey
from consultations.tests.factories import make_expert
from project.celery import app

pytestmark = pytest.mark.django_db


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_refresh_next_available_moves_a_past_soonest_slot(make_user):
    from consultations.tasks import refresh_next_available

    expert = make_expert(user=make_user())
    expert.availability_rules.create(weekday=0, start_time="00:00", end_time="23:30")
    stale = timezone.now() - timedelta(days=2)
    Expert.objects.filter(pk=expert.pk).update(next_available_at=stale)
    refresh_next_available.delay()
    expert.refresh_from_db()
    assert expert.next_available_at is not None and expert.next_available_at > timezone.now()


def test_purge_idempotency_keys_drops_only_old_keys(user):
    from consultations.tasks import purge_idempotency_keys

    old = IdempotencyKey.objects.create(
        user=user, key="old", fingerprint="h", response_status=201, response_body={}
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
    IdempotencyKey.objects.create(
        user=user, key="new", fingerprint="h", response_status=201, response_body={}
    )
    assert purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
