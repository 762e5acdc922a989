"""Cancellation, refund and rescheduling policies, in one place.

An expert picks one of TEMPLATES (plus a reschedule cut-off and a maximum number of
reschedules). When a booking is made, the policy in force is copied onto it
(`Consultation.policy`, a snapshot): later changes to the expert's choice never alter a
booking already made. Every decision below reads only the snapshot.

Notice is elapsed time: "48 hours before" means 48 real hours before the start instant,
so on a daylight-saving change the cut-off's wall-clock time moves by an hour (shown in
the reader's zone, named). Boundaries are inclusive: cancelling exactly 24 h 00 min before
a "full refund up to 24 h" start is a full refund; one minute later it is not.

Who pays for what (`decide`):

- the expert cancels, a pending booking expires unconfirmed, or the expert never joins:
  full refund, always;
- the client cancels: the snapshot's tiers, by notice; the client does not join: the
  tiers at zero notice (no refund in every template);
- the expert waived the policy for this booking: full refund, and the fee the policy
  would have kept is recorded as waived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from consultations.models import Consultation, Expert

SNAPSHOT_VERSION = 1
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RefundTier:
    notice_hours: int
    refund_percent: int


@dataclass(frozen=True)
class PolicyTemplate:
    key: str
    label: str
    tiers: tuple[RefundTier, ...]


TEMPLATES: dict[str, PolicyTemplate] = {
    "flexible": PolicyTemplate("flexible", "Flexible", (RefundTier(24, 100),)),
    "moderate": PolicyTemplate("moderate", "Moderate", (RefundTier(48, 100), RefundTier(24, 50))),
    "strict": PolicyTemplate("strict", "Strict", (RefundTier(7 * 24, 50),)),
}
TEMPLATE_CHOICES = [(t.key, t.label) for t in TEMPLATES.values()]
DEFAULT_TEMPLATE = "flexible"
DEFAULT_RESCHEDULE_CUTOFF_HOURS = 24
DEFAULT_MAX_RESCHEDULES = 2
MAX_RESCHEDULE_CUTOFF_HOURS = 14 * 24
MAX_MAX_RESCHEDULES = 10


class Cause(StrEnum):
    """Why a booking stops holding the expert's time without being held."""

    CLIENT = "client"
    EXPERT = "expert"
    EXPIRED = "expired"
    EXPERT_NO_SHOW = "expert_no_show"
    CLIENT_NO_SHOW = "client_no_show"
    RESCHEDULED = "rescheduled"


# --------------------------------------------------------------------------- snapshots


def make_snapshot(
    template: str = DEFAULT_TEMPLATE,
    reschedule_cutoff_hours: int = DEFAULT_RESCHEDULE_CUTOFF_HOURS,
    max_reschedules: int = DEFAULT_MAX_RESCHEDULES,
) -> dict[str, Any]:
    t = TEMPLATES[template]
    return {
        "version": SNAPSHOT_VERSION,
        "template": t.key,
        "label": t.label,
        "tiers": [
            {"notice_hours": tier.notice_hours, "refund_percent": tier.refund_percent}
            for tier in t.tiers
        ],
        "reschedule_cutoff_hours": int(reschedule_cutoff_hours),
        "max_reschedules": int(max_reschedules),
    }


def default_snapshot() -> dict[str, Any]:
    """The rule every booking made before per-expert policies had (full refund up to 24 h)."""
    return make_snapshot()


def snapshot_for_expert(expert: Expert) -> dict[str, Any]:
    return make_snapshot(
        expert.cancellation_policy, expert.reschedule_cutoff_hours, expert.max_reschedules
    )


@dataclass(frozen=True)
class Policy:
    template: str
    label: str
    tiers: tuple[RefundTier, ...]  # longest notice first
    reschedule_cutoff_hours: int
    max_reschedules: int

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any] | None) -> Policy:
        snap = snap or default_snapshot()
        tiers = sorted(
            (RefundTier(int(t["notice_hours"]), int(t["refund_percent"])) for t in snap["tiers"]),
            key=lambda t: -t.notice_hours,
        )
        return cls(
            template=str(snap.get("template", DEFAULT_TEMPLATE)),
            label=str(snap.get("label", "")),
            tiers=tuple(tiers),
            reschedule_cutoff_hours=int(snap["reschedule_cutoff_hours"]),
            max_reschedules=int(snap["max_reschedules"]),
        )

    def percent_for_notice(self, notice: timedelta) -> int:
        for tier in self.tiers:
            if notice >= timedelta(hours=tier.notice_hours):
                return tier.refund_percent
        return 0


def policy_of(c: Consultation) -> Policy:
    """The booking's policy, parsed once per snapshot: one booking answer asked for it about
    ten times (refund deadlines, cut-off, both refund quotes, the refusal). Kept on the
    instance beside the snapshot it came from; a new snapshot (assigned, or read again)
    is parsed afresh. Snapshots are replaced, never edited in place."""
    snap = c.policy
    memo = c.__dict__.get("_policy_memo")
    if memo is not None and memo[0] is snap:
        return cast(Policy, memo[1])
    policy = Policy.from_snapshot(snap)
    c.__dict__["_policy_memo"] = (snap, policy)
    return policy


def _hours(h: int) -> str:
    if h >= 72 and h % 24 == 0:
        days = h // 24
        return "1 day" if days == 1 else f"{days} days"
    return "1 hour" if h == 1 else f"{h} hours"


def describe(snap: dict[str, Any] | None) -> list[str]:
    """The policy in plain sentences, as shown before booking, in emails and on the page."""
    p = Policy.from_snapshot(snap)
    lines = []
    for tier in p.tiers:
        what = "Full refund" if tier.refund_percent == 100 else f"{tier.refund_percent} % refund"
        lines.append(f"{what} if the client cancels at least {_hours(tier.notice_hours)} before.")
    lines.append(
        "No refund after that, or if the client does not join."
        if p.tiers
        else "No refund if the client cancels or does not join."
    )
    lines.append("Full refund if the expert cancels or does not join.")
    if p.max_reschedules:
        times = "once" if p.max_reschedules == 1 else f"up to {p.max_reschedules} times"
        lines.append(
            f"The client may move the booking {times}, until "
            f"{_hours(p.reschedule_cutoff_hours)} before it starts."
        )
    else:
        lines.append("The client cannot move the booking (the expert can).")
    return lines


# --------------------------------------------------------------------------- deadlines


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def refund_deadlines(c: Consultation) -> list[tuple[datetime, int]]:
    """(last instant for this refund, percent), earliest first."""
    return [
        (c.start_at - timedelta(hours=t.notice_hours), t.refund_percent) for t in policy_of(c).tiers
    ]


def reschedule_cutoff(c: Consultation) -> datetime:
    return c.start_at - timedelta(hours=policy_of(c).reschedule_cutoff_hours)


def is_waived(c: Consultation) -> bool:
    return c.policy_waived_at is not None


def format_instant(value: datetime, zone_name: str | None) -> str:
    """'Mon 30 Nov 2026, 09:00 CET (Europe/Paris)' in the reader's zone."""
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ValueError, KeyError, OSError):
        zone, zone_name = ZoneInfo("UTC"), "UTC"
    local = value.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local:%Z} ({zone_name or 'UTC'})"


# --------------------------------------------------------------------------- who may do what


def is_active(consultation: Consultation) -> bool:
    return consultation.status in consultation.ACTIVE_STATUSES


def is_expert_of(consultation: Consultation, user: User | None) -> bool:
    return user is not None and consultation.expert.user_id == user.pk


def can_be_cancelled(consultation: Consultation, now: datetime | None = None) -> bool:
    """Pending or confirmed and not yet started (by either side). The refund may be partial."""
    return is_active(consultation) and consultation.start_at > _now(now)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    cutoff_at: datetime | None = None


def reschedule_refusal(
    c: Consultation, by: User | None = None, now: datetime | None = None
) -> Refusal | None:
    """Why `by` may not move `c` now (None: allowed). The expert may move it until the start."""
    now = _now(now)
    if not is_active(c):
        return Refusal("invalid_state", f"This consultation is {c.get_status_display().lower()}.")
    if c.start_at <= now:
        return Refusal("invalid_state", "This consultation has already started.")
    if is_expert_of(c, by) or is_waived(c):
        return None
    p = policy_of(c)
    cutoff = reschedule_cutoff(c)
    if now > cutoff:
        return Refusal(
            "reschedule_cutoff",
            f"The expert's policy allows moving this booking only until "
            f"{_hours(p.reschedule_cutoff_hours)} before it starts.",
            cutoff,
        )
    if c.reschedule_count >= p.max_reschedules:
        return Refusal(
            "reschedule_limit",
            "The expert's policy does not allow moving this booking again "
            f"(moved {c.reschedule_count} of {p.max_reschedules} times allowed).",
        )
    return None


def can_be_rescheduled(
    consultation: Consultation, by: User | None = None, now: datetime | None = None
) -> bool:
    return reschedule_refusal(consultation, by, now) is None


# --------------------------------------------------------------------------- money


@dataclass(frozen=True)
class RefundDecision:
    full_refund: bool
    amount: Decimal  # owed back to the client (of the price)
    reason: str
    percent: int = 100
    waived_amount: Decimal = field(default=Decimal("0.00"))  # fee the expert chose to forgo
    # The last instant the client could still have had a full refund (client causes only).
    full_refund_until: datetime | None = None


def _share(price: Decimal, percent: int) -> Decimal:
    return (price * Decimal(percent) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def decide(c: Consultation, cause: Cause | str, now: datetime | None = None) -> RefundDecision:
    """What the booking's policy gives back for `cause` at `now`."""
    cause = Cause(cause)
    price = c.price
    full = partial(RefundDecision, True, price, percent=100)
    if cause == Cause.EXPERT:
        return full("The expert cancelled: full refund.")
    if cause == Cause.EXPIRED:
        return full("The expert did not confirm in time: full refund.")
    if cause == Cause.EXPERT_NO_SHOW:
        return full("The expert did not join: full refund.")
    if cause == Cause.RESCHEDULED:
        return full("Moved to a new time: the payment carries over to the new booking.")
    p = policy_of(c)
    deadlines = [d for d, pct in refund_deadlines(c) if pct == 100]
    until = deadlines[0] if deadlines else None
    notice = c.start_at - _now(now) if cause == Cause.CLIENT else timedelta(0)
    percent = p.percent_for_notice(notice)
    if is_waived(c):
        kept = price - _share(price, percent)
        return RefundDecision(
            True,
            price,
            "The expert waived the cancellation policy for this booking: full refund.",
            percent=100,
            waived_amount=kept,
            full_refund_until=until,
        )
    return RefundDecision(
        percent == 100,
        _share(price, percent),
        _client_reason(p, notice, percent, no_show=cause == Cause.CLIENT_NO_SHOW),
        percent=percent,
        full_refund_until=until,
    )


def _client_reason(p: Policy, notice: timedelta, percent: int, *, no_show: bool) -> str:
    outcome = "full refund" if percent == 100 else f"{percent} % refund" if percent else "no refund"
    if no_show:
        return f"The client did not join ({p.label.lower()} policy): {outcome}."
    met = [t for t in p.tiers if notice >= timedelta(hours=t.notice_hours)]
    missed = [t for t in p.tiers if notice < timedelta(hours=t.notice_hours)]
    if missed:
        text = f"Cancelled less than {_hours(missed[-1].notice_hours)} before the start"
    elif met:
        text = f"Cancelled {_hours(met[0].notice_hours)} or more before the start"
    else:
        text = "Cancelled"
    return f"{text} ({p.label.lower()} policy): {outcome}."


def refund_for_cancellation(
    consultation: Consultation, *, by_expert: bool, now: datetime | None = None
) -> RefundDecision:
    """What cancelling now would give back (kept for callers that only know the side)."""
    return decide(consultation, Cause.EXPERT if by_expert else Cause.CLIENT, now)
