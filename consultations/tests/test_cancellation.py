"""services/cancellation.py: every way out of a booking takes the same path.

Client and expert cancels, expiry, no-shows and the release of a rescheduled booking all
write the same fields, the same payment outcome for the same refund, and ledger entries
that add up to what the client still owes.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from consultations.models import Consultation, LedgerEntry
from consultations.policies import Cause
from consultations.services import booking, cancellation
from consultations.services.meetings import close_stale_meetings
from consultations.tests.concurrency import run_concurrently
from consultations.tests.factories import make_consultation, make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules

Status = Consultation.Status
PaymentStatus = Consultation.PaymentStatus


def net(c: Consultation) -> Decimal:
    return LedgerEntry.objects.filter(consultation=c).aggregate(s=Sum("amount"))["s"] or Decimal()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cause", "status", "party", "paid_after", "refund"),
    [
        (Cause.CLIENT, Status.CANCELLED, "", PaymentStatus.REFUND_DUE, Decimal("60.00")),
        (Cause.EXPERT, Status.CANCELLED, "", PaymentStatus.REFUND_DUE, Decimal("60.00")),
        (Cause.EXPIRED, Status.CANCELLED, "", PaymentStatus.REFUND_DUE, Decimal("60.00")),
        (Cause.EXPERT_NO_SHOW, Status.CANCELLED, "expert", PaymentStatus.REFUND_DUE, Decimal("60")),
        (Cause.CLIENT_NO_SHOW, Status.NO_SHOW, "client", PaymentStatus.NOT_REFUNDABLE, Decimal(0)),
        (Cause.RESCHEDULED, Status.CANCELLED, "", PaymentStatus.NOT_REQUIRED, Decimal(0)),
    ],
)
def test_every_cause_writes_the_same_fields(
    cause, status, party, paid_after, refund, django_capture_on_commit_callbacks
):
    c = make_consultation(start_at=timezone.now() + timedelta(days=3))
    now = timezone.now()
    with django_capture_on_commit_callbacks() as callbacks:
        decision = cancellation.settle(c, cause=cause, actor=None, now=now)
    c.refresh_from_db()
    assert c.status == status and c.no_show_party == party
    assert c.cancellation_cause == cause and c.cancelled_at == now
    assert c.payment_status == paid_after and c.refund_amount == refund
    # System causes explain themselves; people give their own reason (optional for clients).
    assert bool(c.cancellation_reason) == (cause not in (Cause.CLIENT, Cause.EXPERT))
    assert decision.amount == (c.price if refund or cause == Cause.RESCHEDULED else 0)
    # Rescheduling announces through booking.rescheduled instead (the caller's job).
    assert bool(callbacks) == (cause != Cause.RESCHEDULED)


@pytest.mark.django_db
def test_expiry_goes_through_the_cancellation_path_and_the_ledger():
    start = timezone.now() - timedelta(hours=3)
    paid = make_consultation(start_at=start, status=Status.PENDING)
    unpaid = make_consultation(
        start_at=start - timedelta(hours=1),
        status=Status.PENDING,
        payment_status=PaymentStatus.UNPAID,
    )
    for c in (paid, unpaid):
        LedgerEntry.objects.create(
            consultation=c,
            expert=c.expert,
            kind="due",
            amount=c.price,
            currency="USD",
            reason="x",
            created_at=c.created_at,
        )
    assert close_stale_meetings().expired == 2
    for c in (paid, unpaid):
        c.refresh_from_db()
        assert c.cancellation_cause == "expired"
        assert net(c) == 0  # the full price given back / no longer owed
    assert paid.payment_status == PaymentStatus.REFUND_DUE and paid.refund_amount == paid.price
    assert unpaid.payment_status == PaymentStatus.NOT_REQUIRED


# --------------------------------------------------------------------------- concurrency


def _expert():
    e = scheduling_expert(hourly_rate=Decimal("60.00"))
    set_rules(e, every_day("00:00", "24:00"))
    return e


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", range(3))
def test_concurrent_cancel_and_reschedule_one_wins_and_the_books_balance(rounds):
    expert = _expert()
    client = make_user()
    start = (timezone.now() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    c = booking.book_consultation(
        user=client, expert_id=expert.pk, start_at=start, duration_minutes=60, topic="Race"
    )
    outcomes = run_concurrently(
        [
            lambda: booking.cancel_consultation(consultation_id=c.pk, actor=client),
            lambda: booking.cancel_consultation(
                consultation_id=c.pk, actor=expert.user, reason="Sick"
            ),
            lambda: booking.reschedule_consultation(
                consultation_id=c.pk, actor=client, start_at=start + timedelta(hours=2)
            ),
            lambda: booking.reschedule_consultation(
                consultation_id=c.pk, actor=expert.user, start_at=start + timedelta(hours=4)
            ),
        ]
    )
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) == {"ok", "invalid_state"}, outcomes
    c.refresh_from_db()
    assert c.status == Status.CANCELLED
    moved = Consultation.objects.filter(rescheduled_from=c)
    if c.cancellation_cause == "rescheduled":
        (new,) = moved
        assert net(c) == 0 and net(new) == new.price
        assert new.status in (Status.PENDING, Status.CONFIRMED)
    else:
        assert not moved.exists()
        assert net(c) == 0  # 4 days ahead: full refund whoever cancelled
    # One row at most holds the expert's time, and every entry has a reason.
    assert (
        Consultation.objects.filter(expert=expert, status__in=("pending", "confirmed")).count() <= 1
    )
    assert not LedgerEntry.objects.filter(reason="").exists()
