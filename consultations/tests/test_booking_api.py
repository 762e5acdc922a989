"""consultations/views/bookings.py: booking endpoints, their errors and who may do what."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from consultations.models import Consultation, Expert, LedgerEntry
from consultations.services import ledger
from consultations.tests.factories import make_consultation, make_user
from consultations.tests.scheduling_helpers import (
    BOOKING_NOW,
    every_day,
    scheduling_expert,
    set_rules,
    utc,
)

# Time is frozen at BOOKING_NOW (fixed_now, consultations/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]

NOW = BOOKING_NOW  # Sunday noon UTC
TUESDAY_9 = utc(2026, 3, 3, 9, 0)
API = "/api/v1/consultations"
BOOK = f"{API}/consultations/book/"
Status = Consultation.Status


@pytest.fixture
def expert():
    e = scheduling_expert(hourly_rate=Decimal("120.00"), timezone="Europe/Paris")
    set_rules(e, every_day("09:00", "18:00"))
    return e


def body(expert, **overrides) -> dict:
    data = {
        "expert_id": expert.pk,
        "start_at": "2026-03-03T09:00:00Z",  # 10:00 in Paris
        "duration_minutes": 60,
        "topic": "Negotiating a raise",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def book(client, expert, **overrides):
    return client.post(BOOK, body(expert, **overrides), format="json")


# --------------------------------------------------------------------------- book


def test_book_returns_the_consultation(client_for, expert, client_user):
    r = book(client_for(client_user), expert, notes="CV attached")
    assert r.status_code == 201, r.json()
    c = r.json()
    assert c["status"] == "pending"
    assert c["start_at"] == "2026-03-03T09:00:00Z" and c["end_at"] == "2026-03-03T10:00:00Z"
    assert c["duration_minutes"] == 60
    assert c["price"] == "120.00" and c["payment_status"] == "unpaid"
    assert c["user"] == {"id": client_user.pk, "name": "Cleo Client"}
    assert c["expert"]["id"] == expert.pk and c["expert"]["timezone"] == "Europe/Paris"
    assert c["my_role"] == "user" and c["can_cancel"] and c["can_reschedule"]
    assert c["full_refund_if_cancelled_now"] is True


def test_wall_clock_time_with_a_time_zone(client_for, expert, client_user):
    r = book(
        client_for(client_user),
        expert,
        start_at="2026-03-03T10:00",
        timezone="Europe/Paris",
        duration_minutes=None,
        end_at="2026-03-03T10:30",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["start_at"] == "2026-03-03T09:00:00Z"
    assert r.json()["duration_minutes"] == 30


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_at": "2026-02-27T09:00:00Z"}, "start_at"),  # past
        ({"start_at": "2026-03-03T09:20:00Z"}, "start_at"),  # off the grid
        ({"start_at": "2026-03-03T05:00:00Z"}, "start_at"),  # outside availability
        ({"start_at": "2026-03-03T09:00"}, "start_at"),  # no offset, no zone
        ({"start_at": "next tuesday"}, "start_at"),
        ({"start_at": "2026-03-03T10:00", "timezone": "Europe/Atlantis"}, "timezone"),
        ({"start_at": "2026-03-29T02:30", "timezone": "Europe/Paris"}, "start_at"),  # no such time
        ({"duration_minutes": 45}, "duration_minutes"),  # length not offered
        ({"duration_minutes": None}, "duration_minutes"),
        ({"end_at": "2026-03-03T08:00:00Z", "duration_minutes": None}, "end_at"),  # end < start
        ({"end_at": "2026-03-03T09:00:00Z", "duration_minutes": None}, "end_at"),  # end == start
        ({"topic": ""}, "topic"),
        ({"expert_id": 999999}, "expert_id"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    client_for, expert, client_user, overrides, field
):
    r = book(client_for(client_user), expert, **overrides)
    assert r.status_code == 400, r.json()
    assert field in r.json()["error"]["fields"], r.json()
    assert r.json()["error"]["message"]
    assert not Consultation.objects.exists()


def test_booking_yourself_is_400(client_for, expert):
    r = book(client_for(expert.user), expert)
    assert r.status_code == 400 and r.json()["error"]["code"] == "self_booking"
    assert "expert_id" in r.json()["error"]["fields"]


def test_booking_a_non_approved_expert_is_400(client_for, expert, client_user):
    Expert.objects.filter(pk=expert.pk).update(
        verification_status=Expert.VerificationStatus.PENDING
    )
    r = book(client_for(client_user), expert)
    assert r.status_code == 400 and r.json()["error"]["code"] == "expert_not_approved"
    assert not Consultation.objects.exists()


def test_taken_slot_is_409_with_alternatives(client_for, expert, client_user):
    assert book(client_for(make_user()), expert).status_code == 201
    r = book(client_for(client_user), expert, start_at="2026-03-03T09:30:00Z", duration_minutes=30)
    assert r.status_code == 409
    data = r.json()
    assert data["error"]["code"] == "slot_taken"
    assert data["alternatives"] and all("start" in a and "end" in a for a in data["alternatives"])
    assert "2026-03-03T10:00:00Z" in [a["start"] for a in data["alternatives"]]


def test_anonymous_cannot_book(api_client, expert):
    assert book(api_client, expert).status_code in (401, 403)


# --------------------------------------------------------------------------- read


def test_only_participants_see_a_consultation(client_for, api_client, expert, client_user):
    c = book(client_for(client_user), expert).json()
    url = f"{API}/consultations/{c['id']}/"
    assert client_for(client_user).get(url).status_code == 200
    as_expert = client_for(expert.user).get(url)
    assert as_expert.status_code == 200 and as_expert.json()["my_role"] == "expert"
    assert client_for(make_user()).get(url).status_code == 404
    assert client_for(scheduling_expert().user).get(url).status_code == 404
    assert api_client.get(url).status_code in (401, 403)
    assert client_for(client_user).get(f"{API}/consultations/999999/").status_code == 404


def test_upcoming_and_past(client_for, expert, client_user):
    upcoming = book(client_for(client_user), expert).json()
    past = make_consultation(
        user=client_user, expert=expert, start_at=NOW - timedelta(days=2), status=Status.COMPLETED
    )
    cancelled = make_consultation(
        user=client_user, expert=expert, start_at=NOW + timedelta(days=5), status=Status.CANCELLED
    )
    make_consultation(expert=expert, start_at=NOW + timedelta(days=6))  # someone else's
    client = client_for(client_user)
    up = client.get(f"{API}/consultations/upcoming/").json()
    assert [c["id"] for c in up["results"]] == [upcoming["id"]]
    old = client.get(f"{API}/consultations/past/").json()
    assert [c["id"] for c in old["results"]] == [cancelled.pk, past.pk]


# --------------------------------------------------------------------------- confirm / cancel


def test_confirm_permissions(client_for, expert, client_user):
    c = book(client_for(client_user), expert).json()
    url = f"{API}/consultations/{c['id']}/confirm/"
    assert client_for(client_user).post(url).status_code == 403
    assert client_for(make_user()).post(url).status_code == 404
    r = client_for(expert.user).post(url)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert client_for(expert.user).post(url).status_code == 409


def test_cancel_reports_the_refund_decision(client_for, expert, client_user):
    c = book(client_for(client_user), expert).json()
    url = f"{API}/consultations/{c['id']}/cancel/"
    assert client_for(make_user()).post(url, {}, format="json").status_code == 404
    r = client_for(client_user).post(url, {"reason": "Found a job"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["refund"]["full_refund"] is True
    assert r.json()["consultation"]["status"] == "cancelled"
    assert r.json()["consultation"]["cancellation_reason"] == "Found a job"
    assert client_for(client_user).post(url, {}, format="json").status_code == 409


def test_expert_must_give_a_reason(client_for, expert, client_user):
    c = book(client_for(client_user), expert).json()
    url = f"{API}/consultations/{c['id']}/cancel/"
    r = client_for(expert.user).post(url, {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]


# --------------------------------------------------------------------------- reschedule / rate


def test_reschedule_endpoint(client_for, expert, client_user):
    c = book(client_for(client_user), expert).json()
    url = f"{API}/consultations/{c['id']}/reschedule/"
    assert (
        client_for(make_user())
        .post(url, {"start_at": "2026-03-04T09:00:00Z"}, format="json")
        .status_code
        == 404
    )
    r = client_for(client_user).post(url, {"start_at": "2026-03-04T09:00:00Z"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["rescheduled_from_id"] == c["id"]
    old = client_for(client_user).get(f"{API}/consultations/{c['id']}/").json()
    assert old["status"] == "cancelled" and old["rescheduled_to_id"] == r.json()["id"]
    bad = client_for(client_user).post(
        f"{API}/consultations/{r.json()['id']}/reschedule/", {"start_at": "soon"}, format="json"
    )
    assert bad.status_code == 400 and "start_at" in bad.json()["error"]["fields"]


def test_rate_endpoint(client_for, expert, client_user):
    c = make_consultation(
        user=client_user, expert=expert, start_at=NOW - timedelta(days=1), status=Status.COMPLETED
    )
    url = f"{API}/consultations/{c.pk}/rate/"
    assert client_for(expert.user).post(url, {"rating": 5}, format="json").status_code == 403
    assert client_for(make_user()).post(url, {"rating": 5}, format="json").status_code == 404
    bad = client_for(client_user).post(url, {"rating": 9}, format="json")
    assert bad.status_code == 400 and "rating" in bad.json()["error"]["fields"]
    r = client_for(client_user).post(url, {"rating": 4, "review": "Helpful"}, format="json")
    assert r.status_code == 200 and r.json()["review"]["rating"] == 4
    assert client_for(client_user).post(url, {"rating": 5}, format="json").status_code == 409
    expert.refresh_from_db()
    assert expert.average_rating == Decimal("4.00") and expert.review_count == 1


# --------------------------------------------------------------------------- expert views


def test_expert_consultations_and_filters(client_for, expert, client_user):
    pending = book(client_for(client_user), expert).json()
    done = make_consultation(
        user=client_user, expert=expert, start_at=NOW - timedelta(days=3), status=Status.COMPLETED
    )
    make_consultation(start_at=NOW + timedelta(days=2))  # another expert's
    client = client_for(expert.user)
    everything = client.get(f"{API}/experts/consultations/").json()
    assert [c["id"] for c in everything["results"]] == [pending["id"], done.pk]
    only_done = client.get(f"{API}/experts/consultations/", {"status": "completed"}).json()
    assert [c["id"] for c in only_done["results"]] == [done.pk]
    assert client_for(client_user).get(f"{API}/experts/consultations/").status_code == 403


def test_expert_dashboard(client_for, expert, client_user):
    pending = book(client_for(client_user), expert).json()
    done = make_consultation(
        user=client_user,
        expert=expert,
        start_at=NOW - timedelta(hours=5),
        status=Status.COMPLETED,
        price=Decimal("60.00"),
    )
    ledger.record_booking(done, NOW)
    # Its ledger, not its price: a waived part is not earned.
    LedgerEntry.objects.create(
        consultation=done,
        expert=expert,
        kind="waived",
        amount=Decimal("-10.00"),
        currency=done.currency,
        reason="Goodwill",
        created_at=NOW,
    )
    Expert.objects.filter(pk=expert.pk).update(average_rating=Decimal("4.50"), review_count=2)
    r = client_for(expert.user).get(f"{API}/experts/dashboard/")
    assert r.status_code == 200
    d = r.json()
    assert [c["id"] for c in d["pending_confirmation"]] == [pending["id"]]
    assert d["pending_confirmation_count"] == 1 and d["upcoming_count"] == 1
    assert d["earnings"]["earned"] == "50.00" and d["earnings"]["waived"] == "10.00"
    assert d["earnings"]["completed_count"] == 1
    assert d["earnings"]["expected"] == "120.00"
    assert d["rating"] == {"average": "4.50", "count": 2}
    assert client_for(client_user).get(f"{API}/experts/dashboard/").status_code == 403


def test_dashboard_shows_ten_upcoming_and_the_rest_pages_soonest_first(
    client_for, expert, client_user
):
    starts = [NOW + timedelta(days=1, hours=h) for h in range(25)]
    rows = [
        make_consultation(user=client_user, expert=expert, start_at=s, minutes=30)
        for s in reversed(starts)  # created out of order on purpose
    ]
    make_consultation(
        user=client_user, expert=expert, start_at=NOW + timedelta(days=3), status=Status.CANCELLED
    )
    make_consultation(user=client_user, expert=expert, start_at=NOW - timedelta(days=1))
    soonest_first = [c.pk for c in sorted(rows, key=lambda c: c.start_at)]
    client = client_for(expert.user)
    d = client.get(f"{API}/experts/dashboard/").json()
    assert d["upcoming_count"] == 25
    assert [c["id"] for c in d["upcoming"]] == soonest_first[:10]
    seen = []
    for page in (1, 2):
        body = client.get(f"{API}/experts/consultations/", {"upcoming": "true", "page": page})
        seen += [c["id"] for c in body.json()["results"]]
    assert seen == soonest_first  # every upcoming booking once, in order, nothing past/cancelled


def test_schema_documents_the_booking_endpoints(api_client):
    r = api_client.get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in (
        "/api/v1/consultations/consultations/book/",
        "/api/v1/consultations/consultations/{id}/reschedule/",
        "/api/v1/consultations/experts/{id}/time-slots/",
        "/api/v1/consultations/experts/availability/update/",
        "/api/v1/consultations/experts/dashboard/",
    ):
        assert path in paths, path
    book_op = paths["/api/v1/consultations/consultations/book/"]["post"]
    assert {"201", "400", "409", "422"} <= set(book_op["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in book_op["parameters"])
