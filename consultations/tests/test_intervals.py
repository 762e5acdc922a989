"""consultations/intervals.py: union, overlap and totals of attendance intervals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from consultations import intervals

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # spans the Paris DST change at 01:00 UTC


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def span(a: int, b: int) -> tuple[datetime, datetime]:
    return (at(a), at(b))


def test_union_merges_overlapping_touching_and_nested_intervals():
    assert intervals.union(
        [span(0, 10), span(5, 20), span(20, 25), span(30, 40), span(32, 35)]
    ) == [
        span(0, 25),
        span(30, 40),
    ]
    assert intervals.union([span(5, 5), span(7, 6)]) == []  # empty and reversed ones drop


def test_two_tabs_count_once_and_a_reconnect_leaves_a_gap():
    # Tab A 0-30, tab B 10-20 (inside A), then a dropped socket: rejoin at 33 until 60.
    client = [span(0, 30), span(10, 20), span(33, 60)]
    assert intervals.minutes(intervals.total(client)) == 57


def test_minutes_both_present_is_the_overlap_of_the_unions():
    client = [span(0, 30), span(33, 60)]
    expert = [span(5, 45), span(44, 50)]  # a reconnect overlapping its own first interval
    both = intervals.intersection(client, expert)
    assert both == [span(5, 30), span(33, 50)]
    assert intervals.minutes(intervals.total(both)) == 42


def test_arithmetic_is_idempotent_in_order_and_duplicates():
    client = [span(0, 30), span(33, 60), span(10, 20)]
    expert = [span(5, 45), span(44, 50)]
    expected = intervals.total(intervals.intersection(client, expert))
    rng = random.Random(7)
    for _ in range(20):
        c = client * rng.randint(1, 3)
        e = expert * rng.randint(1, 3)
        rng.shuffle(c)
        rng.shuffle(e)
        assert intervals.total(intervals.intersection(c, e)) == expected


def test_clip_and_whole_minutes():
    assert intervals.clip([span(-10, 5), span(50, 70)], at(0), at(60)) == [span(0, 5), span(50, 60)]
    assert intervals.minutes(timedelta(seconds=59)) == 0
    assert intervals.minutes(timedelta(minutes=1, seconds=59)) == 1
    assert intervals.intersection([], [span(0, 10)]) == []
