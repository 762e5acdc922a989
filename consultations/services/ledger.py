"""Ledger entries: what each booking means in money, derived from its policy.

Written only by the booking and cancellation services, inside their transactions, so a
booking's entries always add up to what the client owes the expert for it:

    due (+price)  [ - moved (price, carried to the new booking) ]
                  [ - refund (what the policy gives back) - waived (fee the expert forgave) ]

No entry says money moved; `Consultation.payment_status` (from the payment provider) does.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from consultations.models import Consultation, LedgerEntry
from consultations.policies import RefundDecision
from consultations.selectors.consultations import cache_related_rows
from project.compiled import CompiledInsert

ZERO = Decimal("0.00")
Kind = LedgerEntry.Kind
# Every booking writes one entry: its INSERT is compiled once per process.
_INSERT: CompiledInsert[LedgerEntry] = CompiledInsert(LedgerEntry)


def _add(
    c: Consultation, kind: str, amount: Decimal, reason: str, now: datetime
) -> LedgerEntry | None:
    if amount == ZERO:
        return None
    return _INSERT.insert(
        LedgerEntry(
            consultation=c,
            expert_id=c.expert_id,
            kind=kind,
            amount=amount,
            currency=c.currency,
            reason=reason[:300],
            created_at=now,
        )
    )


def record_booking(c: Consultation, now: datetime) -> None:
    if c.rescheduled_from_id:
        reason = f"Carried over from booking #{c.rescheduled_from_id}."
    else:
        reason = f"Session price ({c.duration_minutes} min)."
    entry = _add(c, Kind.DUE, c.price, reason, now)
    # `c` was just inserted, so these are all of its entries: whoever shows it next (the
    # booking answer) needs no read of its ledger.
    cache_related_rows(c, "ledger_entries", [entry] if entry is not None else [])


def record_move(old: Consultation, new: Consultation, now: datetime) -> None:
    _add(old, Kind.MOVED, -old.price, f"Moved to booking #{new.pk}.", now)


def record_settlement(c: Consultation, decision: RefundDecision, now: datetime) -> None:
    policy_refund = decision.amount - decision.waived_amount
    _add(c, Kind.REFUND, -policy_refund, decision.reason, now)
    _add(c, Kind.WAIVED, -decision.waived_amount, "The expert waived the policy's fee.", now)
