"""consultations.services.reliability: the 90-day signals at their boundaries, the plain
words on the profile, and the ranking adjustment in the expert list's default order."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from chat.models import ExpertChatConversation, ExpertChatMessage
from consultations.models import AttendanceInterval, Consultation, Expert, ExpertReliability
from consultations.services import reliability
from consultations.services.reliability import Signals
from consultations.tasks import compute_reliability
from consultations.tests.factories import (
    add_weekly_hours,
    make_consultation,
    make_expert,
    make_user,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
EDGE = NOW - timedelta(days=90)  # the window's first instant (inclusive)
Status = Consultation.Status
_seq = itertools.count(1)


def call(
    expert: Expert, start: datetime, *, joined_after: timedelta | None, **fields
) -> Consultation:
    """A past call; `joined_after`: when the expert first joined relative to the start."""
    fields.setdefault("status", Status.COMPLETED)
    c = make_consultation(expert=expert, start_at=start, minutes=30, **fields)
    if joined_after is not None:
        AttendanceInterval.objects.create(
            consultation=c,
            user=expert.user,
            role="expert",
            connection_id=f"sock-{next(_seq)}",
            joined_at=start + joined_after,
            left_at=start + timedelta(minutes=30),
        )
    return c


def expert_no_show(expert: Expert, start: datetime) -> Consultation:
    return call(
        expert,
        start,
        joined_after=None,
        status=Status.CANCELLED,
        cancellation_cause="expert_no_show",
        no_show_party="expert",
        cancelled_at=start + timedelta(hours=1),
    )


def expert_cancel(expert: Expert, start: datetime, notice: timedelta) -> Consultation:
    return make_consultation(
        expert=expert,
        start_at=start,
        status=Status.CANCELLED,
        cancellation_cause="expert",
        cancelled_at=start - notice,
    )


def conversation(expert: Expert, client: User, messages: list[tuple[User, datetime]]) -> None:
    """A chat between `client` and the expert: (sender, sent at) in order."""
    conv = ExpertChatConversation.objects.create(user=client, expert=expert)
    for i, (sender, at) in enumerate(messages, start=1):
        ExpertChatMessage.objects.create(
            conversation=conv,
            sender=sender,
            text="hi",
            client_id=f"c{i}",
            seq=i,
            rev=i,
            created_at=at,
        )


def chat(expert: Expert, asked: datetime, replied_after: timedelta | None) -> None:
    client = make_user()
    messages = [(client, asked)]
    if replied_after is not None:
        messages.append((expert.user, asked + replied_after))
    conversation(expert, client, messages)


# --------------------------------------------------------------------------- window


def test_no_data_means_no_signal_and_no_adjustment():
    expert = make_expert()
    s = reliability.measure(expert, now=NOW)
    assert s == Signals()
    assert reliability.ranking_adjustment(s) == Decimal("0")
    row = reliability.refresh_expert(expert, now=NOW)
    assert reliability.explain(row) == ["Not enough recent activity to show reliability yet."]
    assert reliability.explain(None)[0].startswith("New here")


def test_the_90_day_window_includes_its_first_instant_and_nothing_before():
    expert = make_expert()
    call(expert, EDGE, joined_after=timedelta(0))
    call(expert, EDGE - timedelta(seconds=1), joined_after=timedelta(0))
    call(expert, NOW - timedelta(minutes=30), joined_after=timedelta(minutes=6))
    call(expert, NOW, joined_after=timedelta(0))  # starts now: not due yet
    s = reliability.measure(expert, now=NOW)
    assert (s.calls_measured, s.calls_on_time, s.sessions_due) == (2, 1, 2)


def test_on_time_is_at_most_five_minutes_after_the_start():
    expert = make_expert()
    start = NOW - timedelta(days=1)
    call(expert, start, joined_after=timedelta(minutes=-10))  # early
    call(expert, start + timedelta(hours=1), joined_after=timedelta(minutes=5))  # boundary
    call(expert, start + timedelta(hours=2), joined_after=timedelta(minutes=5, seconds=1))
    expert_no_show(expert, start + timedelta(hours=3))
    call(expert, start + timedelta(hours=4), joined_after=None)  # fallback buttons: unknown
    # A client no-show where the expert waited counts for the expert.
    call(expert, start + timedelta(hours=5), joined_after=timedelta(0), status=Status.NO_SHOW)
    s = reliability.measure(expert, now=NOW)
    assert (s.calls_measured, s.calls_on_time) == (5, 3)
    assert s.expert_no_shows == 1 and s.sessions_due == 6


def test_late_cancellation_is_less_than_24_hours_ahead_and_in_the_window():
    expert = make_expert()
    start = NOW + timedelta(hours=12)  # cancellations below happened before NOW
    expert_cancel(expert, start, timedelta(hours=24))  # exactly a day ahead: not late
    expert_cancel(expert, start + timedelta(hours=1), timedelta(hours=23, minutes=59))
    expert_cancel(expert, EDGE + timedelta(hours=1), timedelta(hours=1))  # cancelled at EDGE
    expert_cancel(expert, EDGE, timedelta(seconds=1))  # cancelled just before the window
    expert_cancel(expert, NOW + timedelta(hours=2), timedelta(hours=1))  # happens after NOW
    client_cancelled = expert_cancel(expert, NOW + timedelta(minutes=30), timedelta(hours=1))
    Consultation.objects.filter(pk=client_cancelled.pk).update(cancellation_cause="client")
    s = reliability.measure(expert, now=NOW)
    assert s.late_cancellations == 2 and s.sessions_due == 2


# --------------------------------------------------------------------------- chat


def test_median_first_response_with_an_even_count_and_unanswered_messages():
    expert = make_expert()
    asked = NOW - timedelta(days=3)
    for hours in (1, 2, 3):
        chat(expert, asked, timedelta(hours=hours))
    chat(expert, asked, None)  # unanswered for 3 days: slower than any answer
    chat(expert, NOW - timedelta(hours=2), None)  # asked 2 h ago: not counted yet
    chat(expert, EDGE - timedelta(minutes=1), timedelta(minutes=5))  # before the window
    s = reliability.measure(expert, now=NOW)
    # Sorted: 1 h, 2 h, 3 h, never -> median of 2 h and 3 h.
    assert (s.conversations_measured, s.conversations_unanswered) == (4, 1)
    assert s.median_first_response_seconds == 9000


def test_median_is_unknown_when_most_first_messages_go_unanswered():
    expert = make_expert()
    asked = NOW - timedelta(days=3)
    chat(expert, asked, timedelta(minutes=10))
    for _ in range(4):
        chat(expert, asked, None)
    s = reliability.measure(expert, now=NOW)
    assert s.median_first_response_seconds is None
    row = reliability.refresh_expert(expert, now=NOW)
    assert reliability.explain(row)[0] == "Replied to 1 of 5 first messages within a day."
    assert row.ranking_adjustment == Decimal("-0.250")


def test_a_reply_before_the_clients_message_does_not_count():
    expert = make_expert()
    client = make_user()
    conversation(
        expert, client, [(expert.user, NOW - timedelta(days=2)), (client, NOW - timedelta(days=1))]
    )
    s = reliability.measure(expert, now=NOW)
    assert (s.conversations_measured, s.conversations_unanswered) == (1, 1)


# --------------------------------------------------------------------------- words


def test_plain_words_for_the_profile():
    expert = make_expert()
    start = NOW - timedelta(days=10)
    for i in range(10):
        call(expert, start + timedelta(days=i), joined_after=timedelta(minutes=1 if i else 20))
    for _ in range(5):
        chat(expert, NOW - timedelta(days=5), timedelta(minutes=90))
    row = reliability.refresh_expert(expert, now=NOW)
    assert reliability.explain(row) == [
        "Usually replies within 2 h.",
        "Joined on time in 9 of 10 calls.",
        "No late cancellations or missed calls.",
    ]
    expert_no_show(expert, NOW - timedelta(days=1))
    expert_cancel(expert, NOW + timedelta(hours=1), timedelta(hours=2))
    row = reliability.refresh_expert(expert, now=NOW)
    assert reliability.explain(row)[2] == (
        "Of 12 sessions: cancelled 1 session less than 24 h ahead and missed 1 call."
    )


# --------------------------------------------------------------------------- ranking


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        # Too little data in every signal: neither boosted nor penalised.
        (Signals(calls_measured=4, calls_on_time=0, sessions_due=4, expert_no_shows=4), "0"),
        (Signals(conversations_measured=4, conversations_unanswered=4), "0"),
        # Just enough: all on time (+0.25); all late (-0.25).
        (Signals(calls_measured=5, calls_on_time=5, sessions_due=5), "0.250"),
        (Signals(calls_measured=5, calls_on_time=0, sessions_due=5), "-0.250"),
        # Replies within the hour (+0.25) and punctual (+0.25): the +0.5 ceiling.
        (
            Signals(
                conversations_measured=5,
                median_first_response_seconds=3600,
                calls_measured=5,
                calls_on_time=5,
                sessions_due=5,
            ),
            "0.500",
        ),
        (Signals(conversations_measured=5, median_first_response_seconds=3601), "0.125"),
        (Signals(conversations_measured=5, median_first_response_seconds=86401), "-0.250"),
        # Every session missed, late and slow: clipped at -1.
        (
            Signals(
                conversations_measured=5,
                median_first_response_seconds=None,
                calls_measured=5,
                calls_on_time=0,
                sessions_due=5,
                expert_no_shows=5,
            ),
            "-1.000",
        ),
        # One incident in 10 sessions: -0.1 (and 9 of 10 on time: +0.2).
        (Signals(calls_measured=10, calls_on_time=9, sessions_due=10, expert_no_shows=1), "0.100"),
    ],
)
def test_ranking_adjustment(signals, expected):
    assert reliability.ranking_adjustment(signals) == Decimal(expected)


def _listed(name: str, rating: str, reviews: int = 0) -> Expert:
    expert = make_expert(name=name, average_rating=Decimal(rating), review_count=reviews)
    add_weekly_hours(expert)
    return expert


def test_default_list_order_uses_the_adjustment_ties_by_reviews_then_id(client_for):
    a = _listed("Punctual", "4.50")
    b = _listed("Late", "4.80")
    c = _listed("New", "4.60", reviews=3)
    d = _listed("Same as new", "4.60", reviews=1)
    ExpertReliability.objects.create(
        expert=a, computed_at=NOW, window_days=90, ranking_adjustment=Decimal("0.250")
    )
    ExpertReliability.objects.create(
        expert=b, computed_at=NOW, window_days=90, ranking_adjustment=Decimal("-0.500")
    )
    url = "/api/v1/consultations/experts/"
    names = [e["name"] for e in client_for(None).get(url).json()["results"]]
    # 4.75, then the tie at 4.60 (more reviews first; no row = no change), then 4.30.
    assert names == ["Punctual", "New", "Same as new", "Late"]
    by_rating = client_for(None).get(url, {"ordering": "-rating"}).json()["results"]
    assert [e["name"] for e in by_rating] == ["Late", "New", "Same as new", "Punctual"]
    assert c.pk and d.pk


def test_profile_shows_the_explanation(client_for):
    expert = _listed("Erin", "4.00")
    for i in range(5):
        call(expert, NOW - timedelta(days=i + 1), joined_after=timedelta(0))
    reliability.refresh_expert(expert, now=NOW)
    body = client_for(None).get(f"/api/v1/consultations/experts/{expert.pk}/").json()
    assert body["reliability"]["lines"][0] == "Joined on time in 5 of 5 calls."
    assert body["reliability"]["window_days"] == 90


def test_task_refreshes_approved_experts_only():
    approved = make_expert()
    make_expert(verification_status=Expert.VerificationStatus.SUSPENDED)
    assert compute_reliability() == 1
    assert list(ExpertReliability.objects.values_list("expert_id", flat=True)) == [approved.pk]
    assert compute_reliability() == 1  # idempotent: one row per expert
    assert ExpertReliability.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the cache is dropped on commit
def test_a_refresh_reorders_the_cached_list_at_once(client_for, settings):
    settings.EXPERT_LIST_CACHE_SECONDS = 60
    a = _listed("Alpha", "4.50")
    _listed("Beta", "4.60")
    url = "/api/v1/consultations/experts/"
    assert [e["name"] for e in client_for(None).get(url).json()["results"]] == ["Beta", "Alpha"]
    for i in range(5):
        call(a, timezone.now() - timedelta(days=i + 1), joined_after=timedelta(0))
    compute_reliability()  # Alpha: 5 of 5 on time, +0.25
    assert [e["name"] for e in client_for(None).get(url).json()["results"]] == ["Alpha", "Beta"]
