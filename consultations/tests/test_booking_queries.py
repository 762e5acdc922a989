"""Query budgets for booking and reading one consultation (issue #12, capacity).

The booking answer is built from the objects the service already holds instead of a fresh
six-table read; these tests pin the statement counts so a new N+1 in the serializer or
an extra read in the service fails here, and prove the answer is the same JSON a fresh
read gives.
"""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.models import Consultation, Expert
from consultations.tasks import announce_consultation_created
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules
from notifications.models import Notification

# Time is frozen at BOOKING_NOW (fixed_now, consultations/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]

API = "/api/v1/consultations/consultations"
BOOK = f"{API}/book/"

# Measured 2026-11-30: 17 statements for a booking before, 4 for the detail read.
# Booking: 1 profile zone + the booking's transaction (a savepoint and its release here,
# inside the test's transaction; BEGIN and COMMIT in production) + expert lock (the Expert
# row alone) + 1 calendar read (rules, blocks, outside calendars, bookings and overrides
# in one UNION ALL) + insert + ledger insert. It was 14 with five calendar reads and a
# read of the ledger row it had just inserted, 9 with a savepoint around the insert.
BOOKING_BUDGET = 7
# The same booking with its after-commit work run in the request: 30 when the expert's
# notification, webhooks and emails ran there. They now run in a Celery worker (one
# task, services/announce.py), so the request's after-commit work reads nothing.
BOOKING_WITH_ON_COMMIT_BUDGET = 7
# The worker's side of one booking: the booking with both people, their profiles and the
# client's expert row (1); the notification's insert and unread count in a transaction (4);
# the webhook existence check (1). Both emails reuse the booking the task read. It was 18-19
# when each email and each display name read its booking, user, profile and zone again.
FOLLOW_UPS_BUDGET = 6
DETAIL_BUDGET = 3  # the consultation with its joins, its ledger, its attendance


@pytest.fixture
def expert() -> Expert:
    e = scheduling_expert(hourly_rate=Decimal("120.00"), timezone="Europe/Paris")
    set_rules(e, every_day("09:00", "18:00"))
    return e


def _book(client, expert: Expert, start: str):
    return client.post(
        BOOK,
        {"expert_id": expert.pk, "start_at": start, "duration_minutes": 60, "topic": "Raise"},
        format="json",
    )


def test_booking_stays_within_its_statement_budget(client_for, expert, client_user):
    client = client_for(client_user)
    assert _book(client, expert, "2026-03-03T09:00:00Z").status_code == 201  # warm caches
    with CaptureQueriesContext(connection) as ctx:
        r = _book(client, expert, "2026-03-04T09:00:00Z")
    assert r.status_code == 201, r.json()
    assert len(ctx.captured_queries) <= BOOKING_BUDGET, [q["sql"] for q in ctx.captured_queries]
    assert Consultation.objects.filter(pk=r.json()["id"], user=client_user).exists()


def test_booking_with_its_after_commit_work_stays_within_budget(
    client_for, expert, client_user, django_capture_on_commit_callbacks
):
    """The request's after-commit work (live event, one Celery publish) reads nothing; the
    follow-ups it hands over stay within their own budget in the worker."""
    client = client_for(client_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert _book(client, expert, "2026-03-03T09:00:00Z").status_code == 201
    with mock.patch.object(announce_consultation_created, "delay") as delay:
        with CaptureQueriesContext(connection) as ctx:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                r = _book(client, expert, "2026-03-04T09:00:00Z")
    assert r.status_code == 201, r.json()
    assert callbacks  # the event and follow-up hooks did run
    assert len(ctx.captured_queries) <= BOOKING_WITH_ON_COMMIT_BUDGET, [
        q["sql"] for q in ctx.captured_queries
    ]
    (snapshot,) = delay.call_args.args
    with CaptureQueriesContext(connection) as ctx:
        with django_capture_on_commit_callbacks(execute=True):
            announce_consultation_created(snapshot)
    assert Notification.objects.filter(data__consultation_id=r.json()["id"]).count() == 1
    assert len(ctx.captured_queries) <= FOLLOW_UPS_BUDGET, [q["sql"] for q in ctx.captured_queries]


def test_detail_stays_within_its_statement_budget(
    client_for, expert, client_user, django_assert_max_num_queries
):
    client = client_for(client_user)
    pk = _book(client, expert, "2026-03-03T09:00:00Z").json()["id"]
    with django_assert_max_num_queries(DETAIL_BUDGET):
        r = client.get(f"{API}/{pk}/")
    assert r.status_code == 200 and r.json()["id"] == pk


def test_booking_answer_equals_a_fresh_read(client_for, expert, client_user):
    """Answering from memory changes nothing: every field, ledger and policy included."""
    client = client_for(client_user)
    booked = _book(client, expert, "2026-03-03T09:00:00Z").json()
    fresh = client.get(f"{API}/{booked['id']}/").json()
    assert booked == fresh
    assert booked["ledger"] and booked["ledger"][0]["amount"] == "120.00"
    assert booked["attendance"] == fresh["attendance"]
    assert booked["rescheduled_to_id"] is None and booked["review"] is None


def test_the_detail_read_names_both_ends_of_a_reschedule(client_for, expert, client_user):
    """The detail read joins the successor (rescheduled_to) instead of a prefetch query."""
    client = client_for(client_user)
    old = _book(client, expert, "2026-03-03T09:00:00Z").json()
    moved = client.post(
        f"{API}/{old['id']}/reschedule/", {"start_at": "2026-03-05T09:00:00Z"}, format="json"
    )
    assert moved.status_code == 201, moved.json()
    new_id = moved.json()["id"]
    as_expert = client_for(expert.user).get(f"{API}/{old['id']}/").json()
    assert as_expert["rescheduled_to_id"] == new_id and as_expert["my_role"] == "expert"
    assert client.get(f"{API}/{new_id}/").json()["rescheduled_from_id"] == old["id"]
