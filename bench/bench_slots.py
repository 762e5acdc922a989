"""Slot computation: free slots for 60 and 365 days ahead of a busy expert.

Builds, in a throw-away database (bench/h4_db.py), one expert in Europe/Paris with split
weekday hours plus Saturday mornings, three session lengths on a 15-minute grid,
buffers, a one-year horizon, ~3 bookings per working day for the whole year, vacations
and one-off blocks. Then times, with the viewer in America/New_York:

- scheduling.get_available_slots for 60 and 365 days (service only),
- GET experts/<id>/time-slots/?from=&to= for 60 days (full request, JSON included),
- scheduling.ensure_bookable (one booking validation),
- scheduling.refresh_next_available_at.

Run:  .venv/bin/python bench/bench_slots.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, h4_db

BENCH = "slots"


def build(rng: random.Random):
    from django.contrib.auth.models import User
    from django.utils import timezone

    from consultations.models import Consultation, Expert, ExpertAvailability, ExpertUnavailability
    from consultations.services import scheduling
    from consultations.services.timezones import get_zone

    owner = User.objects.create_user("bench-expert@h4.local", "bench-expert@h4.local", "x")
    expert = Expert.objects.create(
        user=owner,
        name="Bench Expert",
        timezone="Europe/Paris",
        hourly_rate=100,
        session_lengths=[30, 60, 90],
        slot_interval_minutes=15,
        buffer_before_minutes=5,
        buffer_after_minutes=10,
        min_notice_minutes=120,
        max_bookings_per_day=8,
        booking_horizon_days=365,
        verification_status=Expert.VerificationStatus.APPROVED,
    )
    rules = []
    for wd in range(5):
        rules.append(
            ExpertAvailability(expert=expert, weekday=wd, start_time="09:00", end_time="12:00")
        )
        rules.append(
            ExpertAvailability(expert=expert, weekday=wd, start_time="13:00", end_time="18:30")
        )
    rules.append(ExpertAvailability(expert=expert, weekday=5, start_time="10:00", end_time="14:00"))
    ExpertAvailability.objects.bulk_create(rules)

    clients = [
        User.objects.create_user(f"client{i}@h4.local", f"client{i}@h4.local", "x")
        for i in range(20)
    ]
    now = timezone.now()
    zone = get_zone(expert.timezone)
    # Fill the year: pick free slots per working day, as if booked one by one.
    rows = []
    day = now.date() + timedelta(days=1)
    for _ in range(365):
        slots = scheduling.get_available_slots(expert, date_from=day, date_to=day, viewer_tz=zone)
        # Only from what's free and non-overlapping (same rule as the DB constraint).
        chosen = []
        for slot in rng.sample(slots, k=min(len(slots), 6)):
            minutes = rng.choice(slot.durations)
            start, end = slot.start, slot.start + timedelta(minutes=minutes)
            b0, b1 = scheduling.blocked_interval(expert, start, end)
            if all(b1 <= c0 or b0 >= c1 for c0, c1 in chosen) and len(chosen) < 3:
                chosen.append((b0, b1))
                rows.append(
                    Consultation(
                        user=rng.choice(clients),
                        expert=expert,
                        start_at=start,
                        end_at=end,
                        blocked_start=b0,
                        blocked_end=b1,
                        topic="bench",
                        status=rng.choice(["pending", "confirmed", "confirmed"]),
                    )
                )
        day += timedelta(days=1)
    Consultation.objects.bulk_create(rows, batch_size=500)
    blocks = [
        ExpertUnavailability(
            expert=expert,
            start_at=now + timedelta(days=d),
            end_at=now + timedelta(days=d + 7),
            kind="vacation",
        )
        for d in (40, 150, 220, 330)
    ]
    blocks += [
        ExpertUnavailability(
            expert=expert,
            start_at=now + timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 20)),
            end_at=None,
            kind="one_off",
        )
        for _ in range(20)
    ]
    for b in blocks:
        if b.end_at is None:
            b.end_at = b.start_at + timedelta(hours=3)
    ExpertUnavailability.objects.bulk_create(blocks)
    return expert, len(rows), len(blocks)


def timed(fn, repeat: int) -> tuple[list[float], object, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    durations = []
    result = None
    queries = 0
    for i in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = fn()
            durations.append(time.perf_counter() - t0)
        if i == 0:
            queries = len(ctx.captured_queries)
    return durations, result, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    h4_db.setup_django()
    h4_db.mute_domain_signals()
    from django.test import Client
    from django.utils import timezone

    from consultations.services import scheduling

    with h4_db.bench_database() as name:
        common.log(f"building data in {name}")
        t0 = time.perf_counter()
        expert, n_bookings, n_blocks = build(random.Random(args.seed))
        common.log(f"{n_bookings} bookings, {n_blocks} blocks in {time.perf_counter() - t0:.1f}s")
        today = timezone.now().date()

        for days in (60, 365):
            durations, slots, queries = timed(
                lambda days=days: scheduling.get_available_slots(
                    expert,
                    date_from=today,
                    date_to=today + timedelta(days=days - 1),
                    viewer_tz="America/New_York",
                ),
                args.repeat,
            )
            s = common.summary_ms(durations)
            case = f"service, {days} days"
            common.emit(BENCH, case, "p50", s["p50"], "ms", slots=len(slots), queries=queries)
            common.emit(BENCH, case, "p95", s["p95"], "ms")
            print(
                f"{case:28} p50 {s['p50']:8.1f} ms  p95 {s['p95']:8.1f} ms  "
                f"slots {len(slots):5}  queries {queries}"
            )

        client = Client()
        url = f"/api/v1/consultations/experts/{expert.pk}/time-slots/"
        params = {
            "from": today.isoformat(),
            "to": (today + timedelta(days=59)).isoformat(),
            "tz": "America/New_York",
        }
        durations, response, queries = timed(lambda: client.get(url, params), args.repeat)
        assert response.status_code == 200, response.content[:300]
        s = common.summary_ms(durations)
        common.emit(
            BENCH,
            "API time-slots, 60 days",
            "p50",
            s["p50"],
            "ms",
            bytes=len(response.content),
            queries=queries,
        )
        common.emit(BENCH, "API time-slots, 60 days", "p95", s["p95"], "ms")
        print(
            f"{'API time-slots, 60 days':28} p50 {s['p50']:8.1f} ms  p95 {s['p95']:8.1f} ms  "
            f"{len(response.content)} bytes  queries {queries}"
        )

        sample = scheduling.get_available_slots(
            expert, date_from=today + timedelta(days=30), date_to=today + timedelta(days=37)
        )[0]
        durations, _, queries = timed(
            lambda: scheduling.ensure_bookable(expert, sample.start, 30), args.repeat * 4
        )
        s = common.summary_ms(durations)
        common.emit(BENCH, "ensure_bookable", "p50", s["p50"], "ms", queries=queries)
        print(
            f"{'ensure_bookable':28} p50 {s['p50']:8.1f} ms  p95 {s['p95']:8.1f} ms  "
            f"queries {queries}"
        )

        durations, value, queries = timed(
            lambda: scheduling.refresh_next_available_at(expert), args.repeat
        )
        s = common.summary_ms(durations)
        common.emit(BENCH, "refresh_next_available_at", "p50", s["p50"], "ms", queries=queries)
        print(
            f"{'refresh_next_available_at':28} p50 {s['p50']:8.1f} ms  p95 {s['p95']:8.1f} ms  "
            f"queries {queries}  -> {value}"
        )
        _ = date


if __name__ == "__main__":
    main()
