"""consultations/services/booking.py (+ policies, payments): the booking lifecycle."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest

from consultations import signals
from consultations.models import Consultation, Expert
from consultations.services import booking, scheduling
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import (
    BOOKING_NOW,
    every_day,
    scheduling_expert,
    set_rules,
    utc,
)
from project.api_errors import Conflict, NotAllowed, NotFound, ServiceError

# Time is frozen at BOOKING_NOW (fixed_now, consultations/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]

NOW = BOOKING_NOW  # Sunday noon UTC
MONDAY_9 = utc(2026, 3, 2, 9, 0)  # 21 hours ahead: inside the 24-hour window
TUESDAY_9 = utc(2026, 3, 3, 9, 0)  # 45 hours ahead
PaymentStatus = Consultation.PaymentStatus
Status = Consultation.Status


@pytest.fixture
def expert():
    e = scheduling_expert(hourly_rate=Decimal("90.00"))
    set_rules(e, every_day("09:00", "12:00"))
    return e


def book(user, expert, start=TUESDAY_9, minutes=30, **kw):
    return booking.book_consultation(
        user=user,
        expert_id=expert.pk,
        start_at=start,
        duration_minutes=minutes,
        topic=kw.pop("topic", "Career change"),
        **kw,
    )


def capture(signal):
    received = []

    def handler(sender, **kwargs):
        received.append(kwargs)

    signal.connect(handler, weak=False)
    return received, lambda: signal.disconnect(handler)


# --------------------------------------------------------------------------- book


def test_booking_creates_a_pending_consultation(
    expert, client_user, django_capture_on_commit_callbacks
):
    expert.buffer_before_minutes, expert.buffer_after_minutes = 5, 10
    expert.save()
    received, stop = capture(signals.consultation_created)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            c = book(client_user, expert, minutes=60, notes="  Bring CV  ")
    finally:
        stop()
    c.refresh_from_db()
    assert c.status == Status.PENDING
    assert (c.start_at, c.end_at) == (TUESDAY_9, TUESDAY_9 + timedelta(hours=1))
    assert c.blocked_start == TUESDAY_9 - timedelta(minutes=5)
    assert c.blocked_end == TUESDAY_9 + timedelta(minutes=70)
    assert c.price == Decimal("90.00") and c.currency == "USD"
    assert c.payment_status == PaymentStatus.UNPAID
    assert c.meeting_room_id and c.meeting_room_id.startswith("consult-")
    assert c.notes == "Bring CV"
    assert [r["consultation"].pk for r in received] == [c.pk]


def test_price_follows_hourly_rate_and_free_sessions_need_no_payment(expert, client_user):
    c = book(client_user, expert, minutes=30)
    assert c.price == Decimal("45.00")
    free = scheduling_expert(hourly_rate=Decimal("0"))
    set_rules(free, every_day("09:00", "12:00"))
    assert book(client_user, free).payment_status == PaymentStatus.NOT_REQUIRED


def test_booking_refreshes_next_available_at(expert, client_user):
    expert.min_notice_minutes = 0
    expert.session_lengths = [180]
    expert.save()
    scheduling.refresh_next_available_at(expert)
    assert Expert.objects.get(pk=expert.pk).next_available_at == MONDAY_9
    book(client_user, expert, start=MONDAY_9, minutes=180)
    assert Expert.objects.get(pk=expert.pk).next_available_at == TUESDAY_9


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"start": utc(2026, 2, 27, 9, 0)}, "start_at", "in_the_past"),
        ({"start": utc(2026, 3, 3, 9, 10)}, "start_at", "off_grid"),
        ({"start": utc(2026, 3, 3, 13, 0)}, "start_at", "outside_availability"),
        ({"minutes": 45}, "duration_minutes", "length_not_offered"),
        ({"topic": "   "}, "topic", None),
    ],
)
def test_bad_bookings_are_400_and_write_nothing(expert, client_user, kwargs, field, code):
    with pytest.raises(ServiceError) as exc:
        book(client_user, expert, **kwargs)
    assert exc.value.status_code == 400 and exc.value.field == field
    if code:
        assert exc.value.code == code
    assert not Consultation.objects.exists()


def test_naive_start_is_refused(expert, client_user):
    with pytest.raises(ServiceError) as exc:
        book(client_user, expert, start=TUESDAY_9.replace(tzinfo=None))
    assert exc.value.field == "start_at"


def test_experts_cannot_book_themselves(expert):
    with pytest.raises(ServiceError) as exc:
        book(expert.user, expert)
    assert (exc.value.field, exc.value.code) == ("expert_id", "self_booking")
    assert not Consultation.objects.exists()


@pytest.mark.parametrize(
    "status",
    [
        Expert.VerificationStatus.PENDING,
        Expert.VerificationStatus.REJECTED,
        Expert.VerificationStatus.SUSPENDED,
    ],
)
def test_only_approved_experts_can_be_booked(expert, client_user, status):
    Expert.objects.filter(pk=expert.pk).update(verification_status=status)
    with pytest.raises(ServiceError) as exc:
        book(client_user, expert)
    assert (exc.value.field, exc.value.code) == ("expert_id", "expert_not_approved")


def test_unknown_expert(client_user):
    with pytest.raises(ServiceError) as exc:
        booking.book_consultation(
            user=client_user, expert_id=987654, start_at=TUESDAY_9, duration_minutes=30, topic="x"
        )
    assert exc.value.field == "expert_id"


def test_taken_slot_is_a_409_with_alternatives(expert, client_user):
    book(make_user(), expert, start=TUESDAY_9, minutes=60)
    with pytest.raises(Conflict) as exc:
        book(client_user, expert, start=TUESDAY_9 + timedelta(minutes=30))
    assert exc.value.code == "slot_taken"
    alternatives = [a["start"] for a in exc.value.extra["alternatives"]]
    assert "2026-03-03T10:00:00Z" in alternatives
    assert "2026-03-03T09:30:00Z" not in alternatives
    assert Consultation.objects.count() == 1


def test_the_database_constraint_is_the_backstop(expert, client_user):
    """Even if the Python check were skipped, PostgreSQL refuses the overlap -> 409."""
    book(make_user(), expert, start=TUESDAY_9, minutes=60)
    with mock.patch.object(scheduling, "ensure_bookable"), pytest.raises(Conflict) as exc:
        book(client_user, expert, start=TUESDAY_9 + timedelta(minutes=30))
    assert exc.value.code == "slot_taken" and "alternatives" in exc.value.extra
    assert Consultation.objects.count() == 1


def test_the_daily_limit_is_enforced(expert, client_user):
    expert.max_bookings_per_day = 1
    expert.save()
    book(make_user(), expert, start=TUESDAY_9)
    with pytest.raises(Conflict) as exc:
        book(client_user, expert, start=TUESDAY_9 + timedelta(hours=2))
    assert exc.value.code == "day_full"


# --------------------------------------------------------------------------- confirm


def test_expert_confirms(expert, client_user, django_capture_on_commit_callbacks):
    c = book(client_user, expert)
    received, stop = capture(signals.consultation_status_changed)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            booking.confirm_consultation(consultation_id=c.pk, actor=expert.user)
    finally:
        stop()
    c.refresh_from_db()
    assert c.status == Status.CONFIRMED and c.confirmed_at == NOW
    assert received[0]["change"] == "confirmed" and received[0]["actor"] == expert.user


def test_only_the_expert_confirms_and_only_pending(expert, client_user):
    c = book(client_user, expert)
    with pytest.raises(NotAllowed):
        booking.confirm_consultation(consultation_id=c.pk, actor=client_user)
    with pytest.raises(NotFound):
        booking.confirm_consultation(consultation_id=c.pk, actor=make_user())
    booking.confirm_consultation(consultation_id=c.pk, actor=expert.user)
    with pytest.raises(Conflict):
        booking.confirm_consultation(consultation_id=c.pk, actor=expert.user)


# --------------------------------------------------------------------------- cancel


def paid_booking(expert, user, start):
    c = book(user, expert, start=start)
    Consultation.objects.filter(pk=c.pk).update(payment_status=PaymentStatus.PAID)
    c.refresh_from_db()
    return c


def test_user_cancelling_24h_ahead_gets_a_full_refund(expert, client_user):
    c = paid_booking(expert, client_user, TUESDAY_9)
    c, decision = booking.cancel_consultation(consultation_id=c.pk, actor=client_user)
    assert decision.full_refund
    c.refresh_from_db()
    assert c.status == Status.CANCELLED and c.cancelled_by == client_user
    assert c.payment_status == PaymentStatus.REFUND_DUE
    assert c.refund_amount == Decimal("45.00")


def test_user_cancelling_late_gets_nothing_back(expert, client_user):
    c = paid_booking(expert, client_user, MONDAY_9)
    with pytest.raises(Conflict) as refused:  # the client must accept losing the price
        booking.cancel_consultation(consultation_id=c.pk, actor=client_user, reason="Busy")
    assert refused.value.code == "policy_fee"
    assert Consultation.objects.get(pk=c.pk).status == Status.PENDING
    c, decision = booking.cancel_consultation(
        consultation_id=c.pk, actor=client_user, reason="Busy", accept_refund_percent=0
    )
    assert not decision.full_refund
    c.refresh_from_db()
    assert c.payment_status == PaymentStatus.NOT_REFUNDABLE
    assert c.refund_amount == Decimal("0.00") and c.cancellation_reason == "Busy"


def test_refund_boundary_is_exactly_24_hours(expert, client_user, fixed_now):
    c = paid_booking(expert, client_user, TUESDAY_9)
    fixed_now.move_to(TUESDAY_9 - timedelta(hours=24))
    _, decision = booking.cancel_consultation(consultation_id=c.pk, actor=client_user)
    assert decision.full_refund


def test_refund_just_inside_24_hours_is_none(expert, client_user, fixed_now):
    c = paid_booking(expert, client_user, TUESDAY_9)
    fixed_now.move_to(TUESDAY_9 - timedelta(hours=24) + timedelta(seconds=1))
    _, decision = booking.cancel_consultation(
        consultation_id=c.pk, actor=client_user, accept_refund_percent=0
    )
    assert not decision.full_refund


def test_expert_cancelling_always_refunds_in_full_and_needs_a_reason(expert, client_user):
    c = paid_booking(expert, client_user, MONDAY_9)
    with pytest.raises(ServiceError) as exc:
        booking.cancel_consultation(consultation_id=c.pk, actor=expert.user)
    assert exc.value.field == "reason"
    c, decision = booking.cancel_consultation(consultation_id=c.pk, actor=expert.user, reason="Ill")
    assert decision.full_refund
    c.refresh_from_db()
    assert c.payment_status == PaymentStatus.REFUND_DUE and c.refund_amount == Decimal("45.00")


def test_unpaid_cancellations_are_recorded_honestly(expert, client_user):
    early = book(client_user, expert, start=TUESDAY_9)
    late = book(client_user, expert, start=MONDAY_9)
    booking.cancel_consultation(consultation_id=early.pk, actor=client_user)
    booking.cancel_consultation(consultation_id=late.pk, actor=client_user, accept_refund_percent=0)
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.payment_status == PaymentStatus.NOT_REQUIRED  # nothing owed any more
    assert late.payment_status == PaymentStatus.UNPAID  # the late-cancellation fee stands
    assert early.refund_amount == late.refund_amount == Decimal("0.00")


def test_cancel_frees_the_slot_and_signals(expert, client_user, django_capture_on_commit_callbacks):
    c = book(client_user, expert, start=TUESDAY_9)
    received, stop = capture(signals.consultation_status_changed)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            booking.cancel_consultation(consultation_id=c.pk, actor=client_user)
    finally:
        stop()
    assert received[0]["change"] == "cancelled" and received[0]["old_status"] == Status.PENDING
    assert book(make_user(), expert, start=TUESDAY_9).pk != c.pk


def test_cannot_cancel_twice_or_after_start_or_as_a_stranger(expert, client_user, fixed_now):
    c = book(client_user, expert, start=TUESDAY_9)
    with pytest.raises(NotFound):
        booking.cancel_consultation(consultation_id=c.pk, actor=make_user())
    other = book(client_user, expert, start=TUESDAY_9 + timedelta(hours=1))
    booking.cancel_consultation(consultation_id=c.pk, actor=client_user)
    with pytest.raises(Conflict):
        booking.cancel_consultation(consultation_id=c.pk, actor=client_user)
    fixed_now.move_to(TUESDAY_9 + timedelta(hours=1, minutes=5))
    with pytest.raises(Conflict):
        booking.cancel_consultation(consultation_id=other.pk, actor=client_user)


# --------------------------------------------------------------------------- reschedule


def test_user_reschedules_with_24h_notice(expert, client_user, django_capture_on_commit_callbacks):
    old = paid_booking(expert, client_user, TUESDAY_9)
    booking.confirm_consultation(consultation_id=old.pk, actor=expert.user)
    received, stop = capture(signals.consultation_status_changed)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            new = booking.reschedule_consultation(
                consultation_id=old.pk, actor=client_user, start_at=TUESDAY_9 + timedelta(days=1)
            )
    finally:
        stop()
    old.refresh_from_db()
    assert new.rescheduled_from_id == old.pk
    assert new.status == Status.PENDING  # the expert confirms the new time
    assert new.payment_status == PaymentStatus.PAID and new.price == old.price
    assert new.duration_minutes == 30 and new.topic == old.topic
    assert new.meeting_room_id != old.meeting_room_id
    assert old.status == Status.CANCELLED and old.cancelled_by == client_user
    assert old.payment_status == PaymentStatus.NOT_REQUIRED
    assert [r["change"] for r in received] == ["rescheduled"]
    assert received[0]["consultation"] == new


def test_moving_by_less_than_the_session_length_works(expert, client_user):
    old = book(client_user, expert, start=TUESDAY_9, minutes=60)
    new = booking.reschedule_consultation(
        consultation_id=old.pk, actor=client_user, start_at=TUESDAY_9 + timedelta(minutes=30)
    )
    assert new.start_at == TUESDAY_9 + timedelta(minutes=30)


def test_expert_may_reschedule_late_and_the_new_booking_is_confirmed(expert, client_user):
    old = book(client_user, expert, start=MONDAY_9)
    assert not old.can_be_rescheduled(by=client_user)
    assert old.can_be_rescheduled(by=expert.user)
    with pytest.raises(Conflict):
        booking.reschedule_consultation(
            consultation_id=old.pk, actor=client_user, start_at=MONDAY_9 + timedelta(hours=1)
        )
    new = booking.reschedule_consultation(
        consultation_id=old.pk, actor=expert.user, start_at=MONDAY_9 + timedelta(hours=1)
    )
    assert new.status == Status.CONFIRMED and new.confirmed_at == NOW


def test_failed_reschedule_leaves_the_old_booking_untouched(expert, client_user):
    old = book(client_user, expert, start=TUESDAY_9)
    book(make_user(), expert, start=TUESDAY_9 + timedelta(hours=1))
    with pytest.raises(Conflict):
        booking.reschedule_consultation(
            consultation_id=old.pk, actor=client_user, start_at=TUESDAY_9 + timedelta(hours=1)
        )
    with pytest.raises(ServiceError) as exc:
        booking.reschedule_consultation(
            consultation_id=old.pk, actor=client_user, start_at=TUESDAY_9 + timedelta(minutes=7)
        )
    assert exc.value.code == "off_grid"
    with pytest.raises(ServiceError) as exc:
        booking.reschedule_consultation(
            consultation_id=old.pk, actor=client_user, start_at=TUESDAY_9
        )
    assert exc.value.code == "same_time"
    old.refresh_from_db()
    assert old.status == Status.PENDING and old.cancelled_at is None
    assert Consultation.objects.count() == 2


def test_a_cancelled_consultation_cannot_be_rescheduled(expert, client_user):
    old = book(client_user, expert, start=TUESDAY_9)
    booking.cancel_consultation(consultation_id=old.pk, actor=client_user)
    with pytest.raises(Conflict):
        booking.reschedule_consultation(
            consultation_id=old.pk, actor=client_user, start_at=TUESDAY_9 + timedelta(days=1)
        )


# --------------------------------------------------------------------------- policy


def test_policy_methods(expert, client_user, fixed_now):
    c = book(client_user, expert, start=TUESDAY_9)
    assert c.can_be_cancelled() and c.can_be_rescheduled(by=client_user)
    fixed_now.move_to(TUESDAY_9 - timedelta(hours=2))
    assert c.can_be_cancelled() and not c.can_be_rescheduled(by=client_user)
    assert c.can_be_rescheduled(by=expert.user)
    fixed_now.move_to(TUESDAY_9)
    assert not c.can_be_cancelled() and not c.can_be_rescheduled(by=expert.user)
