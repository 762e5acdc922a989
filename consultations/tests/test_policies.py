"""consultations/policies.py and the policy rules the booking service enforces.

Boundaries are checked at the exact minute, snapshots against later policy changes, and
cut-offs across a daylight-saving change in the expert's and the reader's zone.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from consultations import policies
from consultations.models import BookingAuditLog, Consultation, Expert, LedgerEntry
from consultations.policies import Cause
from consultations.services import booking
from consultations.services.policy_settings import set_expert_policy
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules, utc
from project.api_errors import Conflict, NotAllowed

pytestmark = pytest.mark.django_db

NOW = utc(2026, 3, 1, 12, 0)
START = utc(2026, 3, 10, 9, 0)  # 9 days ahead
PaymentStatus = Consultation.PaymentStatus
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_policy_expert(template: str, tz: str = "UTC", **fields) -> Expert:
    e = scheduling_expert(
        tz=tz, hourly_rate=Decimal("90.00"), cancellation_policy=template, **fields
    )
    set_rules(e, every_day("00:00", "24:00"))
    return e


def book(user, expert, start=START, minutes=60):
    c = booking.book_consultation(
        user=user, expert_id=expert.pk, start_at=start, duration_minutes=minutes, topic="Plan"
    )
    Consultation.objects.filter(pk=c.pk).update(payment_status=PaymentStatus.PAID)
    c.refresh_from_db()
    return c


# --------------------------------------------------------------------------- templates


@pytest.mark.parametrize(
    ("template", "notice", "percent"),
    [
        ("flexible", timedelta(hours=24), 100),
        ("flexible", timedelta(hours=24) - MINUTE, 0),
        ("moderate", timedelta(hours=48), 100),
        ("moderate", timedelta(hours=48) - MINUTE, 50),
        ("moderate", timedelta(hours=24), 50),
        ("moderate", timedelta(hours=24) - MINUTE, 0),
        ("strict", timedelta(days=7), 50),
        ("strict", timedelta(days=7) - MINUTE, 0),
        ("strict", timedelta(days=30), 50),
    ],
)
def test_each_template_at_the_boundary_minute(clock, template, notice, percent):
    client = make_user()
    c = book(client, make_policy_expert(template))
    clock.move_to(START - notice)
    quote = policies.decide(c, Cause.CLIENT)
    assert quote.percent == percent
    assert quote.amount == Decimal("90.00") * percent / 100
    c, decision = booking.cancel_consultation(
        consultation_id=c.pk, actor=client, accept_refund_percent=percent
    )
    assert decision.percent == percent
    c.refresh_from_db()
    assert c.refund_amount == Decimal("90.00") * percent / 100
    expected = PaymentStatus.REFUND_DUE if percent else PaymentStatus.NOT_REFUNDABLE
    assert c.payment_status == expected


def test_the_expert_cancelling_or_missing_the_call_always_refunds_in_full():
    c = book(make_user(), make_policy_expert("strict"))
    for cause in (Cause.EXPERT, Cause.EXPERT_NO_SHOW, Cause.EXPIRED):
        assert policies.decide(c, cause).amount == c.price
    assert policies.decide(c, Cause.CLIENT_NO_SHOW).amount == Decimal("0.00")


def test_policy_is_described_in_plain_words():
    lines = policies.describe(policies.make_snapshot("moderate", 12, 1))
    assert lines[:3] == [
        "Full refund if the client cancels at least 48 hours before.",
        "50 % refund if the client cancels at least 24 hours before.",
        "No refund after that, or if the client does not join.",
    ]
    assert "once, until 12 hours before it starts" in lines[-1]
    assert "7 days" in policies.describe(policies.make_snapshot("strict"))[0]


# --------------------------------------------------------------------------- snapshot


def test_the_policy_in_force_is_copied_onto_the_booking():
    expert = make_policy_expert("flexible")
    client = make_user()
    before = book(client, expert)
    set_expert_policy(
        expert=expert,
        actor=expert.user,
        cancellation_policy="strict",
        reschedule_cutoff_hours=48,
        max_reschedules=0,
    )
    after = book(client, expert, start=START + timedelta(hours=2))
    assert before.policy["template"] == "flexible" and before.policy["max_reschedules"] == 2
    assert after.policy["template"] == "strict" and after.policy["max_reschedules"] == 0
    # The old booking is still judged by its own snapshot: full refund 9 days ahead.
    assert policies.decide(before, Cause.CLIENT).percent == 100
    assert policies.decide(after, Cause.CLIENT).percent == 50
    log = BookingAuditLog.objects.get(action="policy_changed")
    assert log.details["before"]["cancellation_policy"] == "flexible"
    assert log.details["after"]["cancellation_policy"] == "strict"


def test_a_reschedule_keeps_the_original_snapshot():
    expert = make_policy_expert("moderate")
    client = make_user()
    c = book(client, expert)
    set_expert_policy(
        expert=expert,
        actor=expert.user,
        cancellation_policy="flexible",
        reschedule_cutoff_hours=24,
        max_reschedules=5,
    )
    new = booking.reschedule_consultation(
        consultation_id=c.pk, actor=client, start_at=START + timedelta(hours=3)
    )
    assert new.policy == c.policy and new.policy["template"] == "moderate"
    assert new.reschedule_count == 1


# --------------------------------------------------------------------------- fee consent


def test_a_cancellation_that_keeps_money_needs_the_clients_consent(clock):
    client = make_user()
    c = book(client, make_policy_expert("moderate"))
    clock.move_to(START - timedelta(hours=30))
    with pytest.raises(Conflict) as refused:
        booking.cancel_consultation(consultation_id=c.pk, actor=client, reader_zone="Asia/Tokyo")
    err = refused.value
    assert err.code == "policy_fee"
    assert err.extra["refund_percent"] == 50 and err.extra["refund_amount"] == "45.00"
    assert err.extra["cutoff_at"] == (START - timedelta(hours=48)).isoformat()
    assert err.extra["cutoff_display"] == "Sun 8 Mar 2026, 18:00 JST (Asia/Tokyo)"
    # Consent to more than the policy gives (a page opened before the cut-off) is refused too.
    with pytest.raises(Conflict):
        booking.cancel_consultation(consultation_id=c.pk, actor=client, accept_refund_percent=100)
    assert Consultation.objects.get(pk=c.pk).status == Consultation.Status.PENDING
    assert not LedgerEntry.objects.filter(consultation=c, kind="refund").exists()
    booking.cancel_consultation(consultation_id=c.pk, actor=client, accept_refund_percent=50)
    entries = list(LedgerEntry.objects.filter(consultation=c).values_list("kind", "amount"))
    assert entries == [("due", Decimal("90.00")), ("refund", Decimal("-45.00"))]


# --------------------------------------------------------------------------- reschedule


def test_client_reschedule_cutoff_at_the_boundary_minute(clock):
    client = make_user()
    c = book(client, make_policy_expert("flexible", reschedule_cutoff_hours=36))
    clock.move_to(START - timedelta(hours=36) + MINUTE)
    with pytest.raises(Conflict) as refused:
        booking.reschedule_consultation(
            consultation_id=c.pk, actor=client, start_at=START + timedelta(hours=2)
        )
    assert refused.value.code == "reschedule_cutoff"
    assert refused.value.extra["cutoff_at"] == "2026-03-08T21:00:00+00:00"
    assert "Sun 8 Mar 2026, 21:00 UTC (UTC)" in refused.value.message
    clock.move_to(START - timedelta(hours=36))
    new = booking.reschedule_consultation(
        consultation_id=c.pk, actor=client, start_at=START + timedelta(hours=2)
    )
    assert new.rescheduled_from_id == c.pk


def test_max_reschedules_counts_only_the_clients_moves():
    client = make_user()
    expert = make_policy_expert("flexible", max_reschedules=1)
    c = book(client, expert)
    c = booking.reschedule_consultation(
        consultation_id=c.pk, actor=expert.user, start_at=START + timedelta(hours=1)
    )
    assert c.reschedule_count == 0
    c = booking.reschedule_consultation(
        consultation_id=c.pk, actor=client, start_at=START + timedelta(hours=2)
    )
    assert c.reschedule_count == 1
    with pytest.raises(Conflict) as refused:
        booking.reschedule_consultation(
            consultation_id=c.pk, actor=client, start_at=START + timedelta(hours=3)
        )
    assert refused.value.code == "reschedule_limit"
    assert not policies.can_be_rescheduled(c, by=client)
    assert policies.can_be_rescheduled(c, by=expert.user)


# --------------------------------------------------------------------------- DST


def test_cutoffs_across_the_spring_forward_are_in_elapsed_hours(clock):
    """Paris moves to summer time at 01:00 UTC on Sun 29 Mar 2026.

    A 09:00 (CEST) Monday session: 48 hours earlier is 08:00 *CET* on Saturday, 24 hours
    earlier 09:00 CEST on Sunday. Shown in the reader's zone, with the zone named.
    """
    start = utc(2026, 3, 30, 7, 0)  # Mon 30 Mar 09:00 Europe/Paris
    client = make_user()
    c = book(client, make_policy_expert("moderate", tz="Europe/Paris"), start=start)
    (full_until, _), (half_until, _) = policies.refund_deadlines(c)
    assert policies.format_instant(full_until, "Europe/Paris") == (
        "Sat 28 Mar 2026, 08:00 CET (Europe/Paris)"
    )
    assert policies.format_instant(half_until, "Europe/Paris") == (
        "Sun 29 Mar 2026, 09:00 CEST (Europe/Paris)"
    )
    assert policies.format_instant(full_until, "America/New_York") == (
        "Sat 28 Mar 2026, 03:00 EDT (America/New_York)"
    )
    clock.move_to(full_until)
    assert policies.decide(c, Cause.CLIENT).percent == 100
    clock.move_to(full_until + MINUTE)
    assert policies.decide(c, Cause.CLIENT).percent == 50
    with pytest.raises(Conflict) as refused:
        booking.cancel_consultation(consultation_id=c.pk, actor=client, reader_zone="Europe/Paris")
    assert refused.value.extra["cutoff_display"] == "Sat 28 Mar 2026, 08:00 CET (Europe/Paris)"


def test_cutoffs_across_the_fall_back(clock):
    """New York falls back at 06:00 UTC on Sun 1 Nov 2026: 24 h before Monday 09:00 EST is
    Sunday 08:00 EST (the wall clock repeated 01:00-02:00 in between)."""
    start = utc(2026, 11, 2, 14, 0)  # Mon 2 Nov 09:00 America/New_York (EST)
    clock.move_to(utc(2026, 10, 25, 12, 0))
    client = make_user()
    c = book(client, make_policy_expert("flexible", tz="America/New_York"), start=start)
    ((until, _),) = policies.refund_deadlines(c)
    assert policies.format_instant(until, "America/New_York") == (
        "Sun 1 Nov 2026, 09:00 EST (America/New_York)"
    )
    assert until == start - timedelta(hours=24)
    clock.move_to(until)
    assert policies.decide(c, Cause.CLIENT).percent == 100
    clock.move_to(until + MINUTE)
    assert policies.decide(c, Cause.CLIENT).percent == 0


# --------------------------------------------------------------------------- waiver


def test_the_expert_may_waive_the_policy_for_one_booking(clock):
    client = make_user()
    expert = make_policy_expert("strict")
    c = book(client, expert)
    other = book(client, expert, start=START + timedelta(hours=3))
    with pytest.raises(NotAllowed):
        booking.waive_policy(consultation_id=c.pk, actor=client)
    booking.waive_policy(consultation_id=c.pk, actor=expert.user, reason="Family emergency")
    with pytest.raises(Conflict):
        booking.waive_policy(consultation_id=c.pk, actor=expert.user)
    log = BookingAuditLog.objects.get(action="policy_waived")
    assert log.consultation_id == c.pk and log.actor == expert.user
    assert log.details["reason"] == "Family emergency"

    clock.move_to(START - timedelta(hours=1))
    assert policies.can_be_rescheduled(Consultation.objects.get(pk=c.pk), by=client)
    _, decision = booking.cancel_consultation(consultation_id=c.pk, actor=client)
    assert decision.full_refund and decision.waived_amount == Decimal("90.00")
    entries = list(LedgerEntry.objects.filter(consultation=c).values_list("kind", "amount"))
    assert entries == [("due", Decimal("90.00")), ("waived", Decimal("-90.00"))]
    # Only that booking: the other one still follows the strict policy.
    with pytest.raises(Conflict) as refused:
        booking.cancel_consultation(consultation_id=other.pk, actor=client)
    assert refused.value.code == "policy_fee"


def test_a_bookings_policy_is_parsed_once_per_snapshot(monkeypatch):
    c = Consultation(policy=policies.make_snapshot("flexible"))
    parse = policies.Policy.from_snapshot
    parsed: list[object] = []

    def counting(snap):
        parsed.append(snap)
        return parse(snap)

    monkeypatch.setattr(policies.Policy, "from_snapshot", counting)
    first = [policies.policy_of(c) for _ in range(10)]
    assert len(parsed) == 1 and first[0].template == "flexible"
    # A new snapshot (the expert's policy copied again, a fresh read) is parsed afresh.
    c.policy = policies.make_snapshot("strict")
    assert policies.policy_of(c).template == "strict" and len(parsed) == 2
    assert policies.policy_of(Consultation(policy=c.policy)).template == "strict"
