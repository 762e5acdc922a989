"""consultations/services/availability.py and the availability/settings/blocks endpoints."""

from __future__ import annotations

from datetime import time

import pytest

from consultations.models import Expert, ExpertAvailability, ExpertUnavailability
from consultations.services import availability
from consultations.tests.factories import make_consultation, make_user
from consultations.tests.scheduling_helpers import BOOKING_NOW, scheduling_expert, set_rules, utc
from project.api_errors import NotFound, ServiceError

# Time frozen at BOOKING_NOW by the shared `fixed_now` fixture (consultations/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]

NOW = BOOKING_NOW  # a Sunday
BASE = "/api/v1/consultations/experts"


def rule(weekday: int, start: str, end: str) -> dict:
    def t(v: str) -> time:
        return time.max if v == "24:00" else time.fromisoformat(v)

    return {"weekday": weekday, "start_time": t(start), "end_time": t(end)}


# --------------------------------------------------------------------------- service


def test_replace_weekly_rules_replaces_everything_and_refreshes_next_available():
    expert = scheduling_expert()
    set_rules(expert, [(0, "08:00", "09:00"), (3, "10:00", "11:00")])
    availability.replace_weekly_rules(
        expert, [rule(1, "09:00", "12:00"), rule(1, "13:00", "24:00")]
    )
    stored = list(ExpertAvailability.objects.filter(expert=expert).order_by("start_time"))
    assert [(r.weekday, r.start_time, r.end_time) for r in stored] == [
        (1, time(9), time(12)),
        (1, time(13), time.max),
    ]
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 3, 9, 0)  # Tuesday 09:00


@pytest.mark.parametrize(
    ("rules", "field", "code"),
    [
        ([rule(0, "10:00", "09:00")], "rules[0].end_time", "end_before_start"),
        ([rule(0, "10:00", "10:00")], "rules[0].end_time", "end_before_start"),
        ([rule(0, "09:00", "12:00"), rule(0, "11:00", "13:00")], "rules[1]", "overlapping_rules"),
        ([rule(2, "09:00", "12:00"), rule(2, "08:00", "24:00")], "rules[0]", "overlapping_rules"),
    ],
)
def test_invalid_rules_are_refused_and_nothing_changes(rules, field, code):
    expert = scheduling_expert()
    set_rules(expert, [(0, "08:00", "09:00")])
    with pytest.raises(ServiceError) as exc:
        availability.replace_weekly_rules(expert, rules)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert list(
        ExpertAvailability.objects.filter(expert=expert).values_list("weekday", "start_time")
    ) == [(0, time(8))]


def test_touching_rules_are_allowed():
    expert = scheduling_expert()
    availability.replace_weekly_rules(
        expert, [rule(0, "09:00", "12:00"), rule(0, "12:00", "15:00")]
    )
    assert ExpertAvailability.objects.filter(expert=expert).count() == 2


def test_empty_rules_clear_the_schedule():
    expert = scheduling_expert()
    set_rules(expert, [(0, "08:00", "09:00")])
    availability.replace_weekly_rules(expert, [])
    expert.refresh_from_db()
    assert not ExpertAvailability.objects.filter(expert=expert).exists()
    assert expert.next_available_at is None


def test_update_settings_validates_zone_and_refreshes():
    expert = scheduling_expert()
    set_rules(expert, [(0, "09:00", "10:00")])
    with pytest.raises(ServiceError) as exc:
        availability.update_scheduling_settings(expert, timezone="Nowhere/Land")
    assert exc.value.field == "timezone"
    availability.update_scheduling_settings(expert, timezone="Asia/Tokyo")
    expert.refresh_from_db()
    assert expert.timezone == "Asia/Tokyo"
    # Monday 09:00 in Tokyo is Monday 00:00 UTC.
    assert expert.next_available_at == utc(2026, 3, 2, 0, 0)


def test_add_and_remove_unavailability():
    expert = scheduling_expert()
    set_rules(expert, [(0, "09:00", "10:00")])
    booked = make_consultation(expert=expert, start_at=utc(2026, 3, 9, 9, 0), minutes=30)
    block, overlapping = availability.add_unavailability(
        expert, start_at=utc(2026, 3, 1, 0, 0), end_at=utc(2026, 3, 10, 0, 0), reason="Holiday"
    )
    assert overlapping == [booked.pk]
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 16, 9, 0)
    availability.remove_unavailability(expert, block.pk)
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 2, 9, 0)
    with pytest.raises(NotFound):
        availability.remove_unavailability(expert, block.pk)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (utc(2026, 3, 5, 10, 0), utc(2026, 3, 5, 9, 0), "end_at"),
        (utc(2026, 2, 1, 10, 0), utc(2026, 2, 2, 9, 0), "end_at"),
    ],
)
def test_bad_unavailability_is_refused(start, end, field):
    expert = scheduling_expert()
    with pytest.raises(ServiceError) as exc:
        availability.add_unavailability(expert, start_at=start, end_at=end)
    assert exc.value.field == field
    assert not ExpertUnavailability.objects.exists()


def test_experts_cannot_remove_each_others_blocks():
    mine, theirs = scheduling_expert(), scheduling_expert()
    block, _ = availability.add_unavailability(
        theirs, start_at=utc(2026, 3, 5, 9, 0), end_at=utc(2026, 3, 5, 10, 0)
    )
    with pytest.raises(NotFound):
        availability.remove_unavailability(mine, block.pk)
    assert ExpertUnavailability.objects.filter(pk=block.pk).exists()


# --------------------------------------------------------------------------- API


def test_public_availability_endpoint(api_client):
    expert = scheduling_expert("Europe/Paris")
    set_rules(expert, [(0, "09:00", "12:00"), (4, "14:00", "24:00")])
    r = api_client.get(f"{BASE}/{expert.pk}/availability/")
    assert r.status_code == 200
    body = r.json()
    assert body["timezone"] == "Europe/Paris"
    assert [(x["weekday"], x["start_time"], x["end_time"]) for x in body["rules"]] == [
        (0, "09:00", "12:00"),
        (4, "14:00", "24:00"),
    ]
    assert body["settings"]["session_lengths"] == [30, 60]


def test_unapproved_expert_availability_is_hidden_except_to_themself(client_for, api_client):
    expert = scheduling_expert(verification_status=Expert.VerificationStatus.PENDING)
    assert api_client.get(f"{BASE}/{expert.pk}/availability/").status_code == 404
    assert client_for(expert.user).get(f"{BASE}/{expert.pk}/availability/").status_code == 200


def test_update_availability_endpoint(client_for):
    expert = scheduling_expert()
    client = client_for(expert.user)
    r = client.post(
        f"{BASE}/availability/update/",
        {"rules": [{"weekday": 0, "start_time": "09:00", "end_time": "24:00"}]},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["rules"][0]["end_time"] == "24:00"
    assert r.json()["next_available_at"] == "2026-03-02T09:00:00Z"


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([{"weekday": 0, "start_time": "12:00", "end_time": "09:00"}], "rules[0].end_time"),
        ([{"weekday": 7, "start_time": "09:00", "end_time": "10:00"}], "rules"),
        ([{"weekday": 0, "start_time": "9am", "end_time": "10:00"}], "rules"),
        (
            [
                {"weekday": 0, "start_time": "09:00", "end_time": "11:00"},
                {"weekday": 0, "start_time": "10:00", "end_time": "12:00"},
            ],
            "rules[1]",
        ),
    ],
)
def test_update_availability_rejects_bad_rules(client_for, rules, field):
    expert = scheduling_expert()
    set_rules(expert, [(3, "09:00", "10:00")])
    r = client_for(expert.user).post(
        f"{BASE}/availability/update/", {"rules": rules}, format="json"
    )
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"]
    assert ExpertAvailability.objects.filter(expert=expert, weekday=3).count() == 1


def test_update_availability_is_for_experts_only(client_for, api_client):
    r = client_for(make_user()).post(f"{BASE}/availability/update/", {"rules": []}, format="json")
    assert r.status_code == 403
    assert api_client.post(
        f"{BASE}/availability/update/", {"rules": []}, format="json"
    ).status_code in (
        401,
        403,
    )


def test_settings_endpoint(client_for):
    expert = scheduling_expert()
    client = client_for(expert.user)
    r = client.patch(
        f"{BASE}/availability/settings/",
        {"session_lengths": [60, 30, 90], "buffer_after_minutes": 10, "timezone": "Europe/Paris"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["session_lengths"] == [30, 60, 90]
    expert.refresh_from_db()
    assert expert.buffer_after_minutes == 10 and expert.timezone == "Europe/Paris"
    bad = client.patch(f"{BASE}/availability/settings/", {"timezone": "Paris"}, format="json")
    assert bad.status_code == 400 and "timezone" in bad.json()["error"]["fields"]
    bad = client.patch(f"{BASE}/availability/settings/", {"session_lengths": []}, format="json")
    assert bad.status_code == 400 and "session_lengths" in bad.json()["error"]["fields"]
    # Only the lengths the profile editor offers (quarter hours up to 4 h), like experts/me/.
    bad = client.patch(f"{BASE}/availability/settings/", {"session_lengths": [50]}, format="json")
    assert bad.status_code == 400
    assert "50 minutes is not offered" in bad.json()["error"]["fields"]["session_lengths"][0]
    assert Expert.objects.get(pk=expert.pk).session_lengths == [30, 60, 90]


def test_blocks_endpoints(client_for):
    expert = scheduling_expert()
    client = client_for(expert.user)
    r = client.post(
        f"{BASE}/availability/blocks/",
        {
            "start_at": "2026-03-10T00:00:00+01:00",
            "end_at": "2026-03-12T00:00:00+01:00",
            "kind": "vacation",
            "reason": "Skiing",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    block_id = r.json()["id"]
    assert r.json()["overlapping_consultation_ids"] == []
    listed = client.get(f"{BASE}/availability/blocks/").json()
    assert [b["id"] for b in listed] == [block_id]
    assert listed[0]["start_at"] == "2026-03-09T23:00:00Z"
    other = client_for(scheduling_expert().user)
    assert other.delete(f"{BASE}/availability/blocks/{block_id}/").status_code == 404
    assert client.delete(f"{BASE}/availability/blocks/{block_id}/").status_code == 204
    assert client.get(f"{BASE}/availability/blocks/").json() == []


def test_block_with_end_before_start_is_400(client_for):
    expert = scheduling_expert()
    r = client_for(expert.user).post(
        f"{BASE}/availability/blocks/",
        {"start_at": "2026-03-10T10:00:00Z", "end_at": "2026-03-10T09:00:00Z"},
        format="json",
    )
    assert r.status_code == 400 and "end_at" in r.json()["error"]["fields"]
