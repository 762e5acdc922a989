"""Expert list with 10,000 approved experts: latency p50/p95 and SQL queries per request.

Bulk-creates 10,000 approved experts (30 expertise areas, 12 languages, 1-3 of each per
expert, spread prices/ratings, a third with no free slot) in the database
consult_h9_experts, then requests GET /api/v1/consultations/experts/ in-process through
Django's test Client with common filters and orderings, counting queries with
CaptureQueriesContext.

Run:  .venv/bin/python bench/bench_expert_list.py [--experts 10000] [--repeat 40] [--profile]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BENCH = "expert_list"
DB = "consult_h9_experts"
URL = "/api/v1/consultations/experts/"

AREAS = [
    "Tax", "Law", "Career", "Marketing", "Design", "Python", "Data", "Finance", "Health",
    "Nutrition", "Fitness", "Psychology", "Parenting", "Real estate", "Immigration",
    "Startups", "Sales", "Writing", "Music", "Photography", "Travel", "Languages",
    "Math", "Physics", "Chemistry", "Biology", "History", "Cooking", "Gardening", "Security",
]  # fmt: skip
LANGS = ["en", "fr", "de", "es", "it", "pt-br", "nl", "pl", "ja", "zh", "ar", "hi"]

CASES = [
    ("default (rating)", {}),
    ("expertise=tax", {"expertise": "tax"}),
    ("language=fr", {"language": "fr"}),
    ("price 40-80", {"min_price": "40", "max_price": "80"}),
    ("search=python", {"search": "python"}),
    ("ordering=availability", {"ordering": "availability"}),
    ("ordering=price", {"ordering": "price"}),
    (
        "combined",
        {"expertise": "law,tax", "language": "en", "min_rating": "3", "ordering": "price"},
    ),
    ("page 100", {"page": "100"}),
]


def seed(count: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from consultations.models import Expert, ExpertiseArea, Language

    if Expert.objects.filter(verification_status="approved").count() >= count:
        common.log(f"reusing {count} experts already in {DB}")
        _ensure_weekly_hours()
        return
    rng = random.Random(42)
    now = timezone.now()
    password = make_password(common.BENCH_PASSWORD)
    with transaction.atomic():
        areas = ExpertiseArea.objects.bulk_create(
            [ExpertiseArea(name=a, slug=a.lower().replace(" ", "-")) for a in AREAS]
        )
        langs = Language.objects.bulk_create([Language(code=c, name=c.upper()) for c in LANGS])
        users = User.objects.bulk_create(
            [
                User(username=f"e{i}@bench.local", email=f"e{i}@bench.local", password=password)
                for i in range(count)
            ],
            batch_size=2000,
        )
        experts = Expert.objects.bulk_create(
            [
                Expert(
                    user=u,
                    name=f"Expert {i} {rng.choice(AREAS)}",
                    headline=f"{rng.choice(AREAS)} and {rng.choice(AREAS)} advice",
                    hourly_rate=Decimal(rng.randint(20, 200)),
                    average_rating=Decimal(rng.randint(0, 500)) / 100,
                    review_count=rng.randint(0, 300),
                    verification_status="approved",
                    verified_at=now,
                    next_available_at=(
                        None
                        if i % 3 == 0
                        else now + timedelta(minutes=rng.randint(60, 60 * 24 * 30))
                    ),
                )
                for i, u in enumerate(users)
            ],
            batch_size=2000,
        )
        area_through = Expert.expertise_areas.through
        lang_through = Expert.languages.through
        area_through.objects.bulk_create(
            [
                area_through(expert_id=e.pk, expertisearea_id=a.pk)
                for e in experts
                for a in rng.sample(areas, rng.randint(1, 3))
            ],
            batch_size=5000,
        )
        lang_through.objects.bulk_create(
            [
                lang_through(expert_id=e.pk, language_id=lang.pk)
                for e in experts
                for lang in rng.sample(langs, rng.randint(1, 3))
            ],
            batch_size=5000,
        )
    _ensure_weekly_hours()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def _ensure_weekly_hours() -> None:
    """The public list shows bookable experts only (weekly hours set): give each one hours."""
    from datetime import time

    from consultations.models import Expert, ExpertAvailability

    missing = Expert.objects.filter(availability_rules__isnull=True).values_list("pk", flat=True)
    ExpertAvailability.objects.bulk_create(
        [
            ExpertAvailability(expert_id=pk, weekday=0, start_time=time(9), end_time=time(12))
            for pk in missing
        ],
        batch_size=5000,
    )


def measure(repeat: int) -> list[tuple[str, dict, float, int, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    results = []
    for name, params in CASES:
        res = client.get(URL, params)  # warm-up, and a correctness check
        assert res.status_code == 200, (name, res.status_code, res.content[:300])
        total = res.json()["count"]
        durations = []
        sql = []
        queries = 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                res = client.get(URL, params)
                durations.append(time.perf_counter() - t0)
            queries = max(queries, len(ctx.captured_queries))
            sql.append(sum(float(q["time"]) for q in ctx.captured_queries))
        summary = common.summary_ms(durations)
        # The rest of a request is Python: filtering, serialisation, rendering JSON.
        summary["sql_p50"] = common.percentile(sql, 50) * 1000
        results.append((name, summary, total, queries))
    return results


def profile(params: dict) -> None:
    """Where a request of the slowest case spends its time (pyinstrument, if installed)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        common.log("pyinstrument not installed; skipping the profile")
        return
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(20):
        client.get(URL, params)
    profiler.stop()
    out = common.ROOT / "var" / "bench" / "expert_list_profile.txt"
    out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    common.log(f"profile written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--fresh", action="store_true", help="recreate the database")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if os.environ.get("BENCH_QUICK") == "1":
        args.repeat = 10
    common.create_database(DB, fresh=args.fresh)
    common.setup_django(DB)
    t0 = time.monotonic()
    seed(args.experts)
    common.log(f"seeded in {time.monotonic() - t0:.1f}s")
    results = measure(args.repeat)
    for name, s, total, queries in results:
        common.emit(BENCH, f"{args.experts} experts, {name}", "p50", s["p50"], "ms")
        common.emit(
            BENCH,
            f"{args.experts} experts, {name}",
            "p95",
            s["p95"],
            "ms",
            queries=queries,
            matches=total,
            sql_p50_ms=round(s["sql_p50"], 1),
        )
    slowest = max(results, key=lambda r: r[1]["p95"])
    if args.profile:
        profile(dict(CASES)[slowest[0]])


if __name__ == "__main__":
    main()
