"""Reliability signals from behaviour over the last 90 days, and how they move the ranking.

Computed per expert by the Celery beat task `consultations.tasks.compute_reliability`
(hourly) and stored in `ExpertReliability`; the profile explains them in plain words and
the expert list's default order uses `ranking_adjustment`.

Signals (window: [now - 90 days, now), both ends by the server clock, UTC):

- **First response in chat**: in each conversation, the client's first message inside the
  window, then the expert's first message after it. A message still unanswered after 24 h
  counts as slower than any answer; one younger than that is not counted yet. Median over
  the conversations (the mean of the two middle ones for an even count).
- **Join punctuality**: calls that were due in the window — completed, client no-show, or
  expert no-show — where the expert's joining is known from the call (AttendanceInterval).
  On time = the expert's first join at most 5 minutes after the scheduled start. An expert
  no-show is a call not joined on time. Calls closed with the fallback buttons and no
  attendance data are not counted either way.
- **Late cancellations**: cancelled by the expert less than 24 h before the start, the
  cancellation falling in the window.
- **Expert no-shows**: the expert never joined (cause `expert_no_show`), start in the window.

Ranking (the default order of the expert list): `average_rating + ranking_adjustment`,
then more reviews first, then id. The adjustment is

    0.25 * P + 0.25 * R - 1.0 * I, clipped to [-1.0, +0.5]

- P = 2 * on_time / calls_measured - 1            (in [-1, 1]; 0 with fewer than 5 calls)
- R = +1 (median <= 1 h), +0.5 (<= 4 h), 0 (<= 12 h), -0.5 (<= 24 h), -1 (slower or mostly
  unanswered)                                       (0 with fewer than 5 conversations)
- I = (late_cancellations + expert_no_shows) / sessions_due, at most 1
                                                    (0 with fewer than 5 sessions due)

so an expert with too little data in a signal is neither boosted nor penalised by it, and
the worst case (every session cancelled late or missed) costs a full star.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from chat.models import ExpertChatConversation, ExpertChatMessage
from consultations import expert_list_cache
from consultations.models import AttendanceInterval, Consultation, Expert, ExpertReliability
from consultations.policies import Cause

WINDOW_DAYS = 90
MIN_SAMPLE = 5
ON_TIME_GRACE = timedelta(minutes=5)
LATE_CANCEL_NOTICE = timedelta(hours=24)
UNANSWERED_AFTER = timedelta(hours=24)
MAX_BOOST = Decimal("0.5")
MAX_PENALTY = Decimal("-1.0")

Status = Consultation.Status


@dataclass(frozen=True)
class Signals:
    conversations_measured: int = 0
    conversations_unanswered: int = 0
    median_first_response_seconds: int | None = None
    calls_measured: int = 0
    calls_on_time: int = 0
    sessions_due: int = 0
    late_cancellations: int = 0
    expert_no_shows: int = 0


# --------------------------------------------------------------------------- measuring


def _response_times(expert: Expert, start: datetime, now: datetime) -> tuple[list[float], int]:
    """Seconds to the expert's first reply per conversation (inf: unanswered for 24 h+)."""
    first_ask = (
        ExpertChatMessage.objects.filter(
            conversation=OuterRef("pk"),
            sender=OuterRef("user"),
            created_at__gte=start,
            created_at__lt=now,
        )
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    first_reply = (
        ExpertChatMessage.objects.filter(
            conversation=OuterRef("pk"),
            sender_id=expert.user_id,
            created_at__gt=OuterRef("first_ask"),
            created_at__lt=now,
        )
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    rows = (
        ExpertChatConversation.objects.filter(expert=expert)
        .annotate(first_ask=Subquery(first_ask))
        .filter(first_ask__isnull=False)
        .annotate(first_reply=Subquery(first_reply))
        .values_list("first_ask", "first_reply")
    )
    times: list[float] = []
    unanswered = 0
    for asked, replied in rows:
        if replied is not None:
            times.append((replied - asked).total_seconds())
        elif now - asked >= UNANSWERED_AFTER:
            times.append(math.inf)
            unanswered += 1
        # else: still within a day, not counted yet
    return times, unanswered


def measure(expert: Expert, *, now: datetime | None = None) -> Signals:
    now = now or timezone.now()
    start = now - timedelta(days=WINDOW_DAYS)

    times, unanswered = _response_times(expert, start, now)
    median: int | None = None
    if times:
        middle = statistics.median(times)
        median = None if math.isinf(middle) else round(middle)

    due_in_window = Consultation.objects.filter(
        expert=expert, start_at__gte=start, start_at__lt=now
    )
    expert_no_show = Q(status=Status.CANCELLED, cancellation_cause=Cause.EXPERT_NO_SHOW)
    held = due_in_window.filter(Q(status__in=(Status.COMPLETED, Status.NO_SHOW)) | expert_no_show)
    first_join = (
        AttendanceInterval.objects.filter(
            consultation=OuterRef("pk"), role=AttendanceInterval.Role.EXPERT
        )
        .values("consultation")
        .annotate(first=Min("joined_at"))
        .values("first")
    )
    calls = list(
        held.annotate(expert_joined=Subquery(first_join)).values_list(
            "start_at", "expert_joined", "cancellation_cause"
        )
    )
    calls_measured = calls_on_time = 0
    for start_at, joined, cause in calls:
        if cause == Cause.EXPERT_NO_SHOW:
            calls_measured += 1
        elif joined is not None:
            calls_measured += 1
            calls_on_time += joined <= start_at + ON_TIME_GRACE

    late = Consultation.objects.filter(
        expert=expert,
        status=Status.CANCELLED,
        cancellation_cause=Cause.EXPERT,
        cancelled_at__gte=start,
        cancelled_at__lt=now,
        start_at__lt=F("cancelled_at") + LATE_CANCEL_NOTICE,
    ).count()
    no_shows = sum(1 for _, _, cause in calls if cause == Cause.EXPERT_NO_SHOW)
    return Signals(
        conversations_measured=len(times),
        conversations_unanswered=unanswered,
        median_first_response_seconds=median,
        calls_measured=calls_measured,
        calls_on_time=calls_on_time,
        sessions_due=len(calls) + late,
        late_cancellations=late,
        expert_no_shows=no_shows,
    )


# --------------------------------------------------------------------------- ranking


def _response_score(s: Signals) -> Decimal:
    if s.conversations_measured < MIN_SAMPLE:
        return Decimal("0")
    seconds = s.median_first_response_seconds
    if seconds is None:
        return Decimal("-1")
    hours = Decimal(seconds) / 3600
    for limit, score in ((1, "1"), (4, "0.5"), (12, "0"), (24, "-0.5")):
        if hours <= limit:
            return Decimal(score)
    return Decimal("-1")


def ranking_adjustment(s: Signals) -> Decimal:
    punctuality = Decimal("0")
    if s.calls_measured >= MIN_SAMPLE:
        punctuality = Decimal(2 * s.calls_on_time) / s.calls_measured - 1
    incidents = Decimal("0")
    if s.sessions_due >= MIN_SAMPLE:
        incidents = min(
            Decimal("1"), Decimal(s.late_cancellations + s.expert_no_shows) / s.sessions_due
        )
    value = Decimal("0.25") * punctuality + Decimal("0.25") * _response_score(s) - incidents
    value = max(MAX_PENALTY, min(MAX_BOOST, value))
    return value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- storing


def refresh_expert(expert: Expert, *, now: datetime | None = None) -> ExpertReliability:
    now = now or timezone.now()
    s = measure(expert, now=now)
    row, _ = ExpertReliability.objects.update_or_create(
        expert=expert,
        defaults={
            "computed_at": now,
            "window_days": WINDOW_DAYS,
            "conversations_measured": s.conversations_measured,
            "conversations_unanswered": s.conversations_unanswered,
            "median_first_response_seconds": s.median_first_response_seconds,
            "calls_measured": s.calls_measured,
            "calls_on_time": s.calls_on_time,
            "sessions_due": s.sessions_due,
            "late_cancellations": s.late_cancellations,
            "expert_no_shows": s.expert_no_shows,
            "ranking_adjustment": ranking_adjustment(s),
        },
    )
    return row


def refresh_all(*, now: datetime | None = None) -> int:
    """Every approved expert; one short transaction each, so a long run blocks nothing."""
    now = now or timezone.now()
    done = 0
    experts = Expert.objects.filter(verification_status=Expert.VerificationStatus.APPROVED)
    for expert in experts.only("pk", "user_id").iterator(chunk_size=200):
        with transaction.atomic():
            refresh_expert(expert, now=now)
        done += 1
    # The ranking moved: cached list pages (consultations/expert_list_cache.py) go, once.
    expert_list_cache.invalidate()
    return done


# --------------------------------------------------------------------------- explaining


def _duration(seconds: int) -> str:
    if seconds <= 3600:
        return "an hour"
    hours = math.ceil(seconds / 3600)
    if hours < 24:
        return f"{hours} h"
    days = math.ceil(seconds / 86400)
    return "a day" if days == 1 else f"{days} days"


def explain(row: ExpertReliability | None) -> list[str]:
    """Plain sentences for the profile; a signal without enough data says so."""
    if row is None:
        return ["New here: not enough recent activity to show reliability yet."]
    lines: list[str] = []
    if row.conversations_measured >= MIN_SAMPLE:
        if row.median_first_response_seconds is None:
            answered = row.conversations_measured - row.conversations_unanswered
            lines.append(
                f"Replied to {answered} of {row.conversations_measured} first messages "
                "within a day."
            )
        else:
            lines.append(f"Usually replies within {_duration(row.median_first_response_seconds)}.")
    if row.calls_measured >= MIN_SAMPLE:
        lines.append(f"Joined on time in {row.calls_on_time} of {row.calls_measured} calls.")
    if row.sessions_due >= MIN_SAMPLE:
        incidents = row.late_cancellations + row.expert_no_shows
        if incidents == 0:
            lines.append("No late cancellations or missed calls.")
        else:
            parts = []
            if row.late_cancellations:
                n = row.late_cancellations
                parts.append(f"cancelled {n} session{'s' if n != 1 else ''} less than 24 h ahead")
            if row.expert_no_shows:
                n = row.expert_no_shows
                parts.append(f"missed {n} call{'s' if n != 1 else ''}")
            lines.append(f"Of {row.sessions_due} sessions: {' and '.join(parts)}.")
    if not lines:
        lines.append("Not enough recent activity to show reliability yet.")
    return lines
