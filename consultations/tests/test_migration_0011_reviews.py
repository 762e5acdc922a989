"""Migration 0011: the old per-consultation ratings become Review rows and the expert's
totals are recomputed from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("consultations", "0010_expert_photo")]
AFTER = [("consultations", "0011_reviews")]


@pytest.mark.django_db(transaction=True)
def test_ratings_move_into_reviews_and_totals_are_recomputed():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User = old.get_model("auth", "User")
    Expert = old.get_model("consultations", "Expert")
    Consultation = old.get_model("consultations", "Consultation")
    expert_user = User.objects.create(username="e@x.test", email="e@x.test")
    expert = Expert.objects.create(user=expert_user, name="E", average_rating=Decimal("1.00"))
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    rated_at = datetime(2026, 1, 6, 9, tzinfo=UTC)
    for i, (rating, review) in enumerate([(5, "Great"), (4, ""), (None, "")]):
        client = User.objects.create(username=f"c{i}@x.test", email=f"c{i}@x.test")
        Consultation.objects.create(
            user=client,
            expert=expert,
            start_at=start + timedelta(days=i),
            end_at=start + timedelta(days=i, hours=1),
            blocked_start=start + timedelta(days=i),
            blocked_end=start + timedelta(days=i, hours=1),
            topic="t",
            status="completed",
            rating=rating,
            review=review,
            rated_at=rated_at if rating == 5 else None,
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Review = new.get_model("consultations", "Review")
    ExpertAfter = new.get_model("consultations", "Expert")
    rows = list(Review.objects.order_by("rating").values("rating", "text", "created_at"))
    assert [(r["rating"], r["text"]) for r in rows] == [(4, ""), (5, "Great")]
    assert rows[1]["created_at"] == rated_at
    e = ExpertAfter.objects.get(pk=expert.pk)
    assert (e.rating_sum, e.review_count, e.average_rating) == (9, 2, Decimal("4.50"))

    # Leave the schema as the other tests expect it.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
