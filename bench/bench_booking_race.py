"""Concurrent booking against PostgreSQL: throughput, latency and double bookings (must be 0).

Threads, each with its own database connection, call services.booking.book_consultation
in a throw-away database (bench/h4_db.py). Cases:

- hot slot: THREADS clients fire at one slot at once, ROUNDS times; exactly one may win.
- contended mix: THREADS threads for --seconds pick random overlapping (expert, start,
  length) triples on a few experts, so most attempts must lose with a 409.
- disjoint: every thread books its own free slots (one expert per thread): raw throughput.
- one expert, disjoint slots: all threads on one expert (serialised by its row lock).
- constraint only: the contended mix with the expert lock and Python checks switched off,
  so only the PostgreSQL exclusion constraint stands between the threads.

After each case an SQL self-join counts overlapping active bookings per expert.

Run:  .venv/bin/python bench/bench_booking_race.py [--threads 8] [--seconds 6] [--rounds 15]
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, h4_db

BENCH = "booking_race"

DOUBLE_BOOKINGS_SQL = """
SELECT count(*) FROM consultations_consultation a
JOIN consultations_consultation b
  ON a.expert_id = b.expert_id AND a.id < b.id
 AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
"""


def make_expert(name: str):
    from django.contrib.auth.models import User

    from consultations.models import Expert, ExpertAvailability

    user = User.objects.create_user(f"{name}@h4.local", f"{name}@h4.local", "x")
    expert = Expert.objects.create(
        user=user,
        name=name,
        timezone="UTC",
        hourly_rate=80,
        session_lengths=[30, 60],
        slot_interval_minutes=30,
        buffer_after_minutes=10,
        min_notice_minutes=0,
        max_bookings_per_day=48,
        booking_horizon_days=365,
        verification_status=Expert.VerificationStatus.APPROVED,
    )
    ExpertAvailability.objects.bulk_create(
        ExpertAvailability(expert=expert, weekday=wd, start_time="00:00", end_time="23:30")
        for wd in range(7)
    )
    return expert


def run_threads(n: int, work: Callable[[int], list[tuple[str, float]]]) -> list[tuple[str, float]]:
    from django.db import connections

    barrier = threading.Barrier(n)
    results: list[list[tuple[str, float]]] = [[] for _ in range(n)]

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return [r for rs in results for r in rs]


def attempt(user, expert, start: datetime, minutes: int) -> tuple[str, float]:
    from consultations.services import booking
    from project.api_errors import Conflict

    t0 = time.perf_counter()
    try:
        booking.book_consultation(
            user=user, expert_id=expert.pk, start_at=start, duration_minutes=minutes, topic="race"
        )
        outcome = "booked"
    except Conflict:
        outcome = "conflict"
    except Exception as exc:  # counted and shown: a benchmark must not hide failures
        outcome = f"error:{type(exc).__name__}"
    return outcome, time.perf_counter() - t0


def double_bookings() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(DOUBLE_BOOKINGS_SQL)
        return cur.fetchone()[0]


def report(case: str, results: list[tuple[str, float]], wall: float, **notes) -> None:
    outcomes = Counter(o for o, _ in results)
    lat = common.summary_ms(d for _, d in results)
    doubles = double_bookings()
    errors = sum(v for k, v in outcomes.items() if k.startswith("error"))
    attempts = len(results)
    common.emit(BENCH, case, "attempts/s", attempts / wall, "1/s", attempts=attempts, **notes)
    common.emit(
        BENCH,
        case,
        "bookings/s",
        outcomes["booked"] / wall,
        "1/s",
        booked=outcomes["booked"],
        conflicts=outcomes["conflict"],
        errors=errors,
    )
    common.emit(BENCH, case, "latency p50", lat["p50"], "ms")
    common.emit(BENCH, case, "latency p95", lat["p95"], "ms")
    common.emit(BENCH, case, "double bookings", doubles, "")
    print(
        f"{case:30} {attempts:5} attempts in {wall:5.2f}s = {attempts / wall:7.1f}/s | "
        f"booked {outcomes['booked']:4} ({outcomes['booked'] / wall:6.1f}/s) "
        f"conflict {outcomes['conflict']:4} errors {errors} | "
        f"p50 {lat['p50']:6.1f} ms p95 {lat['p95']:6.1f} ms | double bookings {doubles}"
    )
    if errors:
        print(f"  errors: {dict(outcomes)}")
    assert doubles == 0, "DOUBLE BOOKING DETECTED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    h4_db.setup_django()
    h4_db.mute_domain_signals()
    from django.contrib.auth.models import User
    from django.utils import timezone

    from consultations.models import Consultation, Expert
    from consultations.services import booking, scheduling

    n = args.threads
    with h4_db.bench_database() as name:
        common.log(f"database {name}, {n} threads")
        clients = [
            User.objects.create_user(f"c{i}@h4.local", f"c{i}@h4.local", "x") for i in range(n)
        ]
        base = (timezone.now() + timedelta(days=2)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )

        # --- hot slot
        expert = make_expert("hot")
        all_results: list[tuple[str, float]] = []
        wall = 0.0
        winners_per_round = Counter()
        for r in range(args.rounds):
            start = base + timedelta(minutes=30 * 2 * r)
            t0 = time.perf_counter()
            res = run_threads(n, lambda i, start=start: [attempt(clients[i], expert, start, 30)])
            wall += time.perf_counter() - t0
            winners_per_round[sum(o == "booked" for o, _ in res)] += 1
            all_results += res
        report("hot slot", all_results, wall, rounds=args.rounds)
        assert set(winners_per_round) == {1}, f"winners per round: {winners_per_round}"

        # --- contended mix
        def contended(experts, seconds: float, seed: int) -> Callable[[int], list]:
            def work(i: int) -> list[tuple[str, float]]:
                rng = random.Random(seed * 100 + i)
                out = []
                deadline = time.perf_counter() + seconds
                while time.perf_counter() < deadline:
                    e = rng.choice(experts)
                    start = base + timedelta(days=1, minutes=30 * rng.randrange(24))
                    out.append(attempt(clients[i], e, start, rng.choice([30, 60])))
                return out

            return work

        experts = [make_expert(f"mix{k}") for k in range(4)]
        t0 = time.perf_counter()
        res = run_threads(n, contended(experts, args.seconds, 1))
        report("contended mix (4 experts)", res, time.perf_counter() - t0)

        # --- disjoint: one expert per thread, consecutive free slots
        own = [make_expert(f"own{k}") for k in range(n)]

        def disjoint(experts_for: Callable[[int], Expert], step_per_thread: bool):
            def work(i: int) -> list[tuple[str, float]]:
                out = []
                e = experts_for(i)
                deadline = time.perf_counter() + args.seconds
                k = 0
                while time.perf_counter() < deadline and k < 500:
                    slot = k * n + i if step_per_thread else k
                    start = base + timedelta(days=3, hours=slot)
                    out.append(attempt(clients[i], e, start, 30))
                    k += 1
                return out

            return work

        t0 = time.perf_counter()
        res = run_threads(n, disjoint(lambda i: own[i], step_per_thread=False))
        report("disjoint (expert per thread)", res, time.perf_counter() - t0)

        one = make_expert("one")
        Expert.objects.filter(pk=one.pk).update(max_bookings_per_day=1000)
        one.refresh_from_db()
        t0 = time.perf_counter()
        res = run_threads(n, disjoint(lambda i: one, step_per_thread=True))
        report("one expert, disjoint slots", res, time.perf_counter() - t0)

        # --- the database constraint alone
        def no_lock(expert_id: int) -> Expert:
            return Expert.objects.get(pk=expert_id)

        bare = [make_expert(f"bare{k}") for k in range(2)]
        patches = (
            mock.patch.object(booking, "_lock_expert", no_lock),
            mock.patch.object(scheduling, "ensure_bookable"),
            # next_available_at is a denormalised hint; skip it to isolate the INSERT race.
            mock.patch.object(scheduling, "refresh_next_available_at"),
        )
        with patches[0], patches[1], patches[2]:
            t0 = time.perf_counter()
            res = run_threads(n, contended(bare, args.seconds, 2))
            wall = time.perf_counter() - t0
        report("constraint only (no lock/check)", res, wall)

        common.log(f"total consultations written: {Consultation.objects.count()}")


if __name__ == "__main__":
    main()
