"""consultations/services/idempotency.py: `Idempotency-Key` on booking POSTs."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from consultations.models import Consultation, IdempotencyKey
from consultations.services import idempotency
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules
from consultations.tests.scheduling_helpers import start_in_three_days as _start

BOOK = "/api/v1/consultations/consultations/book/"


def _body(expert, hours: int = 0, **extra) -> dict:
    return {
        "expert_id": expert.pk,
        "start_at": _start(hours).isoformat(),
        "duration_minutes": 30,
        "topic": "Pricing strategy",
        **extra,
    }


@pytest.fixture
def expert(db):
    e = scheduling_expert()
    set_rules(e, every_day("00:00", "24:00"))
    return e


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_a_retry_returns_the_first_response_and_books_once(expert):
    client = _client(make_user())
    first = client.post(BOOK, _body(expert), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(BOOK, _body(expert), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Consultation.objects.count() == 1


@pytest.mark.django_db
def test_same_key_different_body_is_422(expert):
    client = _client(make_user())
    assert (
        client.post(BOOK, _body(expert), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    )
    r = client.post(BOOK, _body(expert, hours=2), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in r.json()["error"]["fields"]
    assert Consultation.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_user(expert):
    """Another user's identical key never replays someone else's booking."""
    first = _client(make_user()).post(BOOK, _body(expert), format="json", HTTP_IDEMPOTENCY_KEY="k")
    second = _client(make_user()).post(BOOK, _body(expert), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == 201
    assert second.status_code == 409  # the slot is taken; nothing replayed
    assert Consultation.objects.count() == 1


@pytest.mark.django_db
def test_failed_requests_are_not_stored_so_a_retry_tries_again(expert):
    client = _client(make_user())
    bad = client.post(BOOK, _body(expert, topic=""), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    ok = client.post(BOOK, _body(expert), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert ok.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "bad\nkey"])
def test_invalid_keys_are_400(expert, key):
    r = _client(make_user()).post(BOOK, _body(expert), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == 400
    assert "Idempotency-Key" in r.json()["error"]["fields"]
    assert not Consultation.objects.exists()


@pytest.mark.django_db
def test_reschedule_is_idempotent_too(expert):
    user = make_user()
    client = _client(user)
    c = client.post(BOOK, _body(expert), format="json").json()
    url = f"/api/v1/consultations/consultations/{c['id']}/reschedule/"
    body = {"start_at": _start(3).isoformat()}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Consultation.objects.filter(rescheduled_from_id=c["id"]).count() == 1


@pytest.mark.django_db
def test_purge_expired():
    user = make_user()
    IdempotencyKey.objects.create(
        user=user, key="old", fingerprint="f", response_status=201, response_body={}
    )
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=3))
    IdempotencyKey.objects.create(
        user=user, key="new", fingerprint="f", response_status=201, response_body={}
    )
    assert idempotency.purge_expired() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_booking(expert):
    user = make_user()
    body = _body(expert)
    n = 8
    barrier = threading.Barrier(n)
    results: list[tuple[int, int | None]] = [(0, None)] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            r = _client(user).post(BOOK, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
            results[i] = (r.status_code, r.json().get("id"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Consultation.objects.count() == 1
    booked_id = Consultation.objects.get().pk
    assert results == [(201, booked_id)] * n
