"""Prices and payment states. No card is charged here: the "manual" provider only
quotes a price and records honestly what is owed; a real provider would plug in behind
the same protocol and report money that actually moved (PAID, REFUNDED).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from consultations.models import Consultation, Expert
from consultations.policies import RefundDecision

PaymentStatus = Consultation.PaymentStatus
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Quote:
    amount: Decimal
    currency: str


class PaymentProvider(Protocol):
    name: str

    def quote(self, expert: Expert, minutes: int) -> Quote: ...

    def initial_status(self, quote: Quote) -> str: ...

    def settle_cancellation(self, consultation: Consultation, decision: RefundDecision) -> str:
        """The payment_status after a cancellation with `decision`."""
        ...


class ManualPaymentProvider:
    """Payments are arranged outside the app; this records what is owed, never charges."""

    name = "manual"

    def quote(self, expert: Expert, minutes: int) -> Quote:
        amount = (expert.hourly_rate * Decimal(minutes) / Decimal(60)).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        return Quote(amount, expert.currency)

    def initial_status(self, quote: Quote) -> str:
        return PaymentStatus.NOT_REQUIRED if quote.amount <= 0 else PaymentStatus.UNPAID

    def settle_cancellation(self, consultation: Consultation, decision: RefundDecision) -> str:
        current = consultation.payment_status
        if current == PaymentStatus.PAID:
            # Someone must send the money (all or part) back by hand: due, not done.
            if decision.amount > 0:
                return PaymentStatus.REFUND_DUE
            return PaymentStatus.NOT_REFUNDABLE
        if current == PaymentStatus.UNPAID:
            # Nothing was paid: a full refund means nothing is owed any more; otherwise
            # the fee the policy keeps (the ledger says how much) stays due.
            return PaymentStatus.NOT_REQUIRED if decision.full_refund else PaymentStatus.UNPAID
        return current


def get_payment_provider() -> PaymentProvider:
    return ManualPaymentProvider()
