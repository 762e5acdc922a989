"""The one cancellation path.

Every way a booking stops holding the expert's time without taking place goes through
`settle`: the client or the expert cancelling, a pending booking expiring unconfirmed, a
no-show by either side, and a reschedule releasing the old booking. It asks the booking's
policy snapshot what is owed back (`policies.decide`), lets the payment provider say what
that means for the payment (`settle_cancellation`), writes the same fields every time,
adds the ledger entries, and announces the change after commit.

The caller holds the row lock on the consultation (and, for changes that free a future
slot, the expert lock; see services/booking.py) and the transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction

from consultations import policies, signals
from consultations.models import Consultation
from consultations.policies import Cause, RefundDecision
from consultations.services import ledger
from consultations.services.payloads import event_payload
from consultations.services.payments import get_payment_provider
from realtime.events import publish_to_users

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Status = Consultation.Status
PaymentStatus = Consultation.PaymentStatus

BOOKING_CANCELLED = "booking.cancelled"
BOOKING_NO_SHOW = "booking.no_show"

DEFAULT_REASONS = {
    Cause.EXPIRED: "expired unconfirmed",
    Cause.EXPERT_NO_SHOW: "The expert did not join the call.",
    Cause.CLIENT_NO_SHOW: "The client did not join the call.",
    Cause.RESCHEDULED: "Rescheduled.",
}
NO_SHOW_CAUSES = (Cause.EXPERT_NO_SHOW, Cause.CLIENT_NO_SHOW)


def settle(
    c: Consultation,
    *,
    cause: Cause,
    actor: User | None,
    reason: str = "",
    now: datetime,
    decision: RefundDecision | None = None,
    announce: bool = True,
) -> RefundDecision:
    """Close `c` for `cause` (locked by the caller) and return the refund decision applied."""
    decision = decision or policies.decide(c, cause, now)
    old_status = c.status
    if cause == Cause.RESCHEDULED:
        # The payment moves to the new booking: nothing is owed back on this one.
        c.payment_status = PaymentStatus.NOT_REQUIRED
        c.refund_amount = Decimal("0.00")
    else:
        was_paid = c.payment_status == PaymentStatus.PAID
        c.payment_status = get_payment_provider().settle_cancellation(c, decision)
        c.refund_amount = decision.amount if was_paid else Decimal("0.00")
        ledger.record_settlement(c, decision, now)
    c.status = Status.NO_SHOW if cause == Cause.CLIENT_NO_SHOW else Status.CANCELLED
    c.cancellation_cause = cause
    c.no_show_party = {
        Cause.CLIENT_NO_SHOW: Consultation.NoShowParty.CLIENT,
        Cause.EXPERT_NO_SHOW: Consultation.NoShowParty.EXPERT,
    }.get(cause, Consultation.NoShowParty.NONE)
    c.cancelled_at = now
    c.cancelled_by = actor
    c.cancellation_reason = reason or DEFAULT_REASONS.get(cause, "")
    c.save(update_fields=list(Consultation.CANCELLATION_FIELDS))

    if announce and cause != Cause.RESCHEDULED:
        payload = event_payload(c) | refund_payload(decision, c)
        event = BOOKING_NO_SHOW if cause in NO_SHOW_CAUSES else BOOKING_CANCELLED
        publish_to_users(c.participant_ids, event, payload)
        change = "no_show" if cause in NO_SHOW_CAUSES else "cancelled"
        transaction.on_commit(
            partial(
                signals.consultation_status_changed.send,
                sender=Consultation,
                consultation=c,
                old_status=old_status,
                new_status=c.status,
                actor=actor,
                change=change,
            )
        )
    return decision


def refund_payload(decision: RefundDecision, c: Consultation) -> dict[str, Any]:
    return {
        "full_refund": decision.full_refund,
        "refund_percent": decision.percent,
        "refund_amount": str(c.refund_amount if c.refund_amount is not None else decision.amount),
        "refund_reason": decision.reason,
        "waived_amount": str(decision.waived_amount),
    }
