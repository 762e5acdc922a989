"""HTTP faces of the policy: experts/me/policy/, refusals (409), waive-policy/, JSON fields."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from consultations.models import BookingAuditLog, Consultation
from consultations.tests.factories import make_user
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
START = utc(2026, 3, 3, 9, 0)  # 45 hours ahead
POLICY_URL = "/api/v1/consultations/experts/me/policy/"


@pytest.fixture
def expert():
    e = scheduling_expert(hourly_rate=Decimal("60.00"), cancellation_policy="moderate")
    set_rules(e, every_day("00:00", "24:00"))
    return e


def book(client_for, user, expert, start=START):
    r = client_for(user).post(
        "/api/v1/consultations/consultations/book/",
        {
            "expert_id": expert.pk,
            "start_at": start.isoformat(),
            "duration_minutes": 60,
            "topic": "Plan",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()


def test_expert_reads_and_chooses_a_policy(client_for, expert):
    api = client_for(expert.user)
    body = api.get(POLICY_URL).json()
    assert body["cancellation_policy"] == "moderate"
    assert [t["key"] for t in body["templates"]] == ["flexible", "moderate", "strict"]
    assert body["current"]["summary"][0].startswith("Full refund if the client cancels at least 48")

    bad = api.put(
        POLICY_URL,
        {"cancellation_policy": "lenient", "reschedule_cutoff_hours": 12, "max_reschedules": 1},
        format="json",
    )
    assert bad.status_code == 400 and "cancellation_policy" in bad.json()["error"]["fields"]
    bad = api.put(
        POLICY_URL,
        {"cancellation_policy": "strict", "reschedule_cutoff_hours": -1, "max_reschedules": 1},
        format="json",
    )
    assert bad.status_code == 400 and "reschedule_cutoff_hours" in bad.json()["error"]["fields"]

    ok = api.put(
        POLICY_URL,
        {"cancellation_policy": "strict", "reschedule_cutoff_hours": 12, "max_reschedules": 1},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["current"]["template"] == "strict"
    assert BookingAuditLog.objects.filter(expert=expert, action="policy_changed").count() == 1
    public = client_for(None).get(f"/api/v1/consultations/experts/{expert.pk}/").json()
    assert public["cancellation_policy"]["template"] == "strict"
    assert any("7 days" in line for line in public["cancellation_policy"]["summary"])


def test_non_experts_cannot_set_a_policy(client_for):
    r = client_for(make_user()).put(POLICY_URL, {}, format="json")
    assert r.status_code == 403
    assert client_for(None).get(POLICY_URL).status_code in (401, 403)


def test_consultation_shows_its_policy_deadlines_and_ledger(client_for, expert):
    client = make_user()
    c = book(client_for, client, expert)
    assert c["policy"]["template"] == "moderate"
    assert c["refund_deadlines"] == [
        {"until": "2026-03-01T09:00:00Z", "refund_percent": 100},
        {"until": "2026-03-02T09:00:00Z", "refund_percent": 50},
    ]
    assert c["refund_if_cancelled_now"]["percent"] == 50
    assert c["reschedule_cutoff_at"] == "2026-03-02T09:00:00Z"
    assert c["reschedule_refusal"] is None
    assert [(e["kind"], e["amount"]) for e in c["ledger"]] == [("due", "60.00")]


def test_late_cancel_is_a_409_naming_the_cutoff_in_the_readers_zone(client_for, expert):
    client = make_user()
    c = book(client_for, client, expert)
    url = f"/api/v1/consultations/consultations/{c['id']}/cancel/"
    r = client_for(client).post(url, {"timezone": "America/New_York"}, format="json")
    assert r.status_code == 409
    body = r.json()
    assert body["error"]["code"] == "policy_fee"
    assert body["refund_percent"] == 50 and body["cutoff_at"] == "2026-03-01T09:00:00+00:00"
    assert body["cutoff_display"] == "Sun 1 Mar 2026, 04:00 EST (America/New_York)"
    assert "04:00 EST" in body["error"]["message"]
    r = client_for(client).post(url, {"accept_refund_percent": 50}, format="json")
    assert r.status_code == 200
    assert r.json()["refund"] == {
        "full_refund": False,
        "amount": "30.00",
        "percent": 50,
        "reason": "Cancelled less than 48 hours before the start (moderate policy): 50 % refund.",
    }
    ledger = r.json()["consultation"]["ledger"]
    assert [(e["kind"], e["amount"]) for e in ledger] == [("due", "60.00"), ("refund", "-30.00")]


def test_reschedule_refusal_over_http(client_for, expert, fixed_now):
    client = make_user()
    c = book(client_for, client, expert)
    fixed_now.move_to(START - timedelta(hours=23))
    r = client_for(client).post(
        f"/api/v1/consultations/consultations/{c['id']}/reschedule/",
        {"start_at": (START + timedelta(hours=2)).isoformat(), "timezone": "Asia/Kolkata"},
        format="json",
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "reschedule_cutoff"
    assert r.json()["cutoff_display"] == "Mon 2 Mar 2026, 14:30 IST (Asia/Kolkata)"
    detail = client_for(client).get(f"/api/v1/consultations/consultations/{c['id']}/").json()
    assert detail["can_reschedule"] is False
    assert detail["reschedule_refusal"]["code"] == "reschedule_cutoff"


def test_waive_policy_endpoint(client_for, expert):
    client = make_user()
    c = book(client_for, client, expert)
    url = f"/api/v1/consultations/consultations/{c['id']}/waive-policy/"
    assert client_for(client).post(url, {}, format="json").status_code == 403
    assert client_for(make_user()).post(url, {}, format="json").status_code == 404
    r = client_for(expert.user).post(url, {"reason": "Storm"}, format="json")
    assert r.status_code == 200
    assert r.json()["policy_waived_at"] and r.json()["policy_waiver_reason"] == "Storm"
    view = client_for(client).get(f"/api/v1/consultations/consultations/{c['id']}/").json()
    assert view["refund_if_cancelled_now"]["percent"] == 100
    cancel = client_for(client).post(
        f"/api/v1/consultations/consultations/{c['id']}/cancel/", {}, format="json"
    )
    assert cancel.status_code == 200 and cancel.json()["refund"]["full_refund"] is True
    assert Consultation.objects.get(pk=c["id"]).ledger_entries.filter(kind="waived").exists()


def test_changing_the_policy_tells_the_experts_other_tabs_after_commit(
    client_for, expert, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list = []
    monkeypatch.setattr("realtime.events._send_now", lambda ids, env: sent.append((ids, env)))
    body = {"cancellation_policy": "strict", "reschedule_cutoff_hours": 12, "max_reschedules": 1}
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(expert.user).put(POLICY_URL, body, format="json").status_code == 200
    ((ids, env),) = sent
    assert ids == [expert.user_id] and env["type"] == "policy.updated"
    assert env["data"]["cancellation_policy"] == "strict"
    assert any("7 days" in line for line in env["data"]["summary"])
    # Saving the same policy again changes nothing and announces nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(expert.user).put(POLICY_URL, body, format="json")
    assert len(sent) == 1
