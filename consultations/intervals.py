"""Interval arithmetic for call attendance: pure functions, no database.

A participant's presence is a set of [joined, left) intervals, one per socket that
reported a join (two tabs, a reconnect). What counts is their union; minutes both were
present is the intersection of the two unions. Every function here is idempotent in its
inputs: the same intervals in any order, duplicated or overlapping, give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same instants (empty ones dropped)."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersection(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Where both unions overlap (two-pointer sweep over the merged lists)."""
    left, right = union(a), union(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if end > start:
            out.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


def clip(intervals: Iterable[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    return [(max(s, lo), min(e, hi)) for s, e in intervals if min(e, hi) > max(s, lo)]


def total(intervals: Iterable[Interval]) -> timedelta:
    return sum((e - s for s, e in union(intervals)), timedelta(0))


def minutes(delta: timedelta) -> int:
    """Whole minutes, rounded down (a 59-second overlap is 0 minutes)."""
    return int(delta.total_seconds() // 60)
