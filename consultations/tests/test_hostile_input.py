"""Well-formed but impossible input is a 400 naming the field, never a 500 or a stored row.

Each case was a 500 (or a 201 with a shifted time) against a running server (issue 13).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import ExpertUnavailability
from consultations.tests.factories import make_consultation, make_expert, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/consultations"


def _field_error(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["error"]["fields"], body
    assert body[field] == body["error"]["fields"][field]


@pytest.mark.parametrize(
    "start_at",
    ["2027-02-30T10:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"],
)
def test_book_with_impossible_start_is_a_400(client_for, start_at):
    expert = make_expert()
    client = client_for(make_user())
    body = {"expert_id": expert.pk, "start_at": start_at, "duration_minutes": 30, "topic": "x"}
    _field_error(client.post(f"{API}/consultations/book/", body, format="json"), "start_at")


def test_book_with_an_id_past_bigint_is_a_400(client_for):
    client = client_for(make_user())
    body = {"expert_id": 2**70, "start_at": "2030-01-01T10:00:00Z", "duration_minutes": 30}
    _field_error(
        client.post(f"{API}/consultations/book/", {**body, "topic": "x"}, format="json"),
        "expert_id",
    )


def test_reschedule_with_impossible_start_is_a_400(client_for):
    user = make_user()
    consultation = make_consultation(user=user, start_at=timezone.now() + timedelta(days=3))
    response = client_for(user).post(
        f"{API}/consultations/{consultation.pk}/reschedule/",
        {"start_at": "2027-02-30T10:00:00Z"},
        format="json",
    )
    _field_error(response, "start_at")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date=9999-12-31", "date"),
        ("date=0001-01-01", "date"),
        ("from=9999-12-30&to=9999-12-31", "from"),
        ("from=2026-01-01&to=9999-12-31", "to"),
        ("from=0001-01-01&to=0001-01-02", "from"),
        ("date=2027-02-30", "date"),
    ],
)
def test_time_slots_with_far_or_impossible_dates_are_a_400(client_for, query, field):
    expert = make_expert()
    response = client_for(make_user()).get(f"{API}/experts/{expert.pk}/time-slots/?{query}")
    _field_error(response, field)


@pytest.mark.parametrize("query", ["date=2999-12-31", "date=1900-01-01"])
def test_time_slots_at_the_edges_of_the_range_answer(client_for, query):
    expert = make_expert()
    response = client_for(make_user()).get(f"{API}/experts/{expert.pk}/time-slots/?{query}")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start_from=2026-01-01T00:00:00%2B23:47", "start_from"),
        ("start_to=0001-01-01T00:00:00%2B01:00", "start_to"),
        ("start_from=9999-12-31T23:59:59-10:00", "start_from"),
        ("start_from=2027-02-30T00:00:00Z", "start_from"),
    ],
)
def test_expert_list_filters_refuse_out_of_range_instants(client_for, query, field):
    expert = make_expert()
    response = client_for(expert.user).get(f"{API}/experts/consultations/?{query}")
    _field_error(response, field)


def test_expert_list_filter_with_a_naive_instant_reads_utc(client_for):
    expert = make_expert()
    make_consultation(expert=expert, start_at=timezone.now() + timedelta(days=2))
    client = client_for(expert.user)
    later = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert client.get(f"{API}/experts/consultations/?start_from={later}").json()["count"] == 1


@pytest.mark.parametrize(
    ("start_at", "end_at"),
    [
        ("2030-01-01T00:00:00+23:47", "2030-01-02T00:00:00+23:47"),
        ("2030-01-01T00:00:00Z", "2030-02-30T00:00:00Z"),
        ("2030-01-01T00:00:00", "2030-01-02T00:00:00"),
    ],
)
def test_availability_block_with_bad_instants_is_refused_and_not_stored(
    client_for, start_at, end_at
):
    expert = make_expert()
    response = client_for(expert.user).post(
        f"{API}/experts/availability/blocks/",
        {"start_at": start_at, "end_at": end_at},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) & {"start_at", "end_at"}
    assert not ExpertUnavailability.objects.filter(expert=expert).exists()
