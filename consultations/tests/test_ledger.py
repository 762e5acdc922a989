"""The ledger: earnings per expert and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from consultations.models import Consultation
from consultations.selectors.ledger import earnings
from consultations.services import booking
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules, utc

pytestmark = pytest.mark.django_db
NOW = utc(2026, 3, 1, 12, 0)
START = utc(2026, 3, 3, 9, 0)


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def expert():
    e = scheduling_expert(hourly_rate=Decimal("60.00"), cancellation_policy="moderate")
    set_rules(e, every_day("00:00", "24:00"))
    return e


def _book(client, expert, start):
    return booking.book_consultation(
        user=client, expert_id=expert.pk, start_at=start, duration_minutes=60, topic="=cmd()"
    )


def test_earnings_follow_the_policy_entries(expert, fixed_now, client_for):
    client = make_user(first_name="Cleo")
    kept_half = _book(client, expert, START)
    full_back = _book(client, expert, START + timedelta(days=5))
    upcoming = _book(client, expert, START + timedelta(days=6))
    moved = _book(client, expert, START + timedelta(days=7))
    booking.reschedule_consultation(
        consultation_id=moved.pk, actor=client, start_at=START + timedelta(days=8)
    )
    booking.cancel_consultation(
        consultation_id=kept_half.pk, actor=client, accept_refund_percent=50
    )  # 45 h ahead, moderate: 50 %
    booking.cancel_consultation(consultation_id=full_back.pk, actor=expert.user, reason="Away")
    assert Consultation.objects.get(pk=upcoming.pk).status == "pending"
    e = earnings(expert)
    assert e["earned"] == Decimal("30.00")  # half of the late cancellation
    assert e["expected"] == Decimal("120.00")  # the upcoming one and the moved one
    assert (e["due"], e["refunded"], e["moved"]) == (
        Decimal("300.00"),
        Decimal("90.00"),
        Decimal("60.00"),
    )

    body = client_for(expert.user).get("/api/v1/consultations/experts/me/earnings/").json()
    assert body["earned"] == "30.00" and body["currency"] == "USD"

    r = client_for(expert.user).get("/api/v1/consultations/experts/me/ledger.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert len(rows) == 8  # 5 dues (one carried over), 1 move, 2 refunds
    refunds = [row for row in rows if row["entry"] == "refund"]
    assert sorted(row["amount"] for row in refunds) == ["-30.00", "-60.00"]
    assert all(row["reason"] for row in rows)
    assert client_for(client).get("/api/v1/consultations/experts/me/ledger.csv").status_code == 403


def test_this_months_earnings_start_at_midnight_in_the_experts_zone():
    """Tokyo is UTC+9: 1 March 00:00 there is 28 February 15:00 UTC."""
    from consultations.services import ledger
    from consultations.tests.factories import make_consultation, make_expert

    expert = make_expert(timezone="Asia/Tokyo")
    inside = utc(2026, 2, 28, 15, 0)  # 1 March 00:00 JST: this month
    outside = utc(2026, 2, 28, 14, 59)  # 28 February 23:59 JST: last month
    for start, price in ((inside, "40.00"), (outside, "25.00")):
        c = make_consultation(
            expert=expert,
            start_at=start,
            status=Consultation.Status.COMPLETED,
            price=Decimal(price),
        )
        ledger.record_booking(c, NOW)
    e = earnings(expert, now=NOW)
    assert e["earned"] == Decimal("65.00") and e["earned_this_month"] == Decimal("40.00")
    utc_expert = make_expert(timezone="UTC")
    c = make_consultation(expert=utc_expert, start_at=inside, status=Consultation.Status.COMPLETED)
    ledger.record_booking(c, NOW)
    assert earnings(utc_expert, now=NOW)["earned_this_month"] == Decimal("0.00")
