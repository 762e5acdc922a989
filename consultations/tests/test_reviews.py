"""consultations.services.reviews: one review per completed consultation, the expert's reply,
staff hiding, and the expert's average kept exact (also under concurrent posts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from consultations.models import BookingAuditLog, Consultation, Expert, Review
from consultations.services import booking, reviews
from consultations.tests.concurrency import run_concurrently
from consultations.tests.factories import make_consultation, make_expert, make_user
from project.api_errors import Conflict, NotAllowed, NotFound, ServiceError

Status = Consultation.Status
API = "/api/v1/consultations"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def completed(expert: Expert, user=None, *, days: int = 0) -> Consultation:
    return make_consultation(
        user=user or make_user(first_name="Cleo", last_name="Client"),
        expert=expert,
        start_at=T0 + timedelta(days=days),
        minutes=30,
        status=Status.COMPLETED,
    )


def totals(expert: Expert) -> tuple[Decimal, int, int]:
    expert.refresh_from_db()
    return expert.average_rating, expert.review_count, expert.rating_sum


@pytest.fixture
def sent(monkeypatch) -> list[tuple[list[int], dict[str, Any]]]:
    """Events as they leave after commit (the catalogue check runs before, strictly)."""
    out: list[tuple[list[int], dict[str, Any]]] = []
    monkeypatch.setattr("realtime.events._send_now", lambda ids, env: out.append((ids, env)))
    return out


# --------------------------------------------------------------------------- posting


@pytest.mark.django_db
def test_posting_counts_in_the_average_and_is_announced_after_commit(
    sent, django_capture_on_commit_callbacks
):
    expert = make_expert()
    a, b = completed(expert), completed(expert, days=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = reviews.post_review(consultation_id=a.pk, actor=a.user, rating=5, text=" Great ")
        assert sent == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        reviews.post_review(consultation_id=b.pk, actor=b.user, rating=2)
    assert totals(expert) == (Decimal("3.50"), 2, 7)
    assert first.text == "Great" and first.author_id == a.user_id
    assert [env["type"] for _, env in sent] == ["review.posted", "review.posted"]
    ids, env = sent[1]
    assert ids == sorted([b.user_id, expert.user_id])
    assert env["data"]["average_rating"] == "3.50" and env["data"]["review_count"] == 2
    assert env["data"]["author_name"] == "Cleo C."


@pytest.mark.django_db
def test_average_rounds_half_up_to_two_places():
    expert = make_expert()
    for rating in (5, 4, 4):  # 13 / 3 = 4.333…
        c = completed(expert)
        reviews.post_review(consultation_id=c.pk, actor=c.user, rating=rating)
    assert totals(expert) == (Decimal("4.33"), 3, 13)
    for rating in (5, 5, 5):  # 28 / 6 = 4.666…
        c = completed(expert)
        reviews.post_review(consultation_id=c.pk, actor=c.user, rating=rating)
    assert totals(expert) == (Decimal("4.67"), 6, 28)


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [0, 6, -1, True, "5", 4.5, None])
def test_rating_outside_1_to_5_is_refused_naming_the_field(bad):
    c = completed(make_expert())
    with pytest.raises(ServiceError) as exc:
        reviews.post_review(consultation_id=c.pk, actor=c.user, rating=bad)
    assert exc.value.field == "rating"
    assert not Review.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("rating", [1, 5])
def test_both_ends_of_the_scale_are_accepted(rating):
    c = completed(make_expert())
    assert reviews.post_review(consultation_id=c.pk, actor=c.user, rating=rating).rating == rating


@pytest.mark.django_db
def test_text_length_boundary():
    expert = make_expert()
    ok, too_long = completed(expert), completed(expert)
    reviews.post_review(consultation_id=ok.pk, actor=ok.user, rating=4, text="x" * 2000)
    with pytest.raises(ServiceError) as exc:
        reviews.post_review(
            consultation_id=too_long.pk, actor=too_long.user, rating=4, text="x" * 2001
        )
    assert exc.value.field == "text"


@pytest.mark.django_db
def test_only_the_client_of_a_completed_consultation_reviews_once():
    expert = make_expert()
    c = completed(expert)
    with pytest.raises(NotAllowed):
        reviews.post_review(consultation_id=c.pk, actor=expert.user, rating=5)
    with pytest.raises(NotFound):
        reviews.post_review(consultation_id=c.pk, actor=make_user(), rating=5)
    with pytest.raises(NotFound):
        reviews.post_review(consultation_id=987654, actor=c.user, rating=5)
    reviews.post_review(consultation_id=c.pk, actor=c.user, rating=3)
    with pytest.raises(Conflict) as exc:
        reviews.post_review(consultation_id=c.pk, actor=c.user, rating=4)
    assert exc.value.code == "already_reviewed"
    assert totals(expert) == (Decimal("3.00"), 1, 3)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [Status.PENDING, Status.CONFIRMED, Status.CANCELLED, Status.NO_SHOW]
)
def test_not_completed_cannot_be_reviewed(status):
    c = make_consultation(status=status)
    with pytest.raises(Conflict) as exc:
        reviews.post_review(consultation_id=c.pk, actor=c.user, rating=5)
    assert exc.value.code == "invalid_state"


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_review_of_one_booking():
    c = completed(make_expert())
    reviews.post_review(consultation_id=c.pk, actor=c.user, rating=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            consultation=c, expert=c.expert, author=c.user, rating=1, created_at=T0
        )


@pytest.mark.django_db
def test_old_rate_service_is_a_review():
    c = completed(make_expert())
    out = booking.rate_consultation(consultation_id=c.pk, actor=c.user, rating=4, review="Fine")
    assert out.review.rating == 4 and out.review.text == "Fine"


# --------------------------------------------------------------------------- reply


@pytest.mark.django_db
def test_expert_replies_once_and_may_edit(sent, django_capture_on_commit_callbacks):
    expert = make_expert()
    c = completed(expert)
    r = reviews.post_review(consultation_id=c.pk, actor=c.user, rating=4)
    with pytest.raises(NotAllowed):
        reviews.reply_to_review(review_id=r.pk, actor=c.user, text="Me too")
    with pytest.raises(ServiceError) as exc:
        reviews.reply_to_review(review_id=r.pk, actor=expert.user, text="   ")
    assert exc.value.field == "reply"
    with django_capture_on_commit_callbacks(execute=True):
        reviews.reply_to_review(review_id=r.pk, actor=expert.user, text="Thanks!", now=T0)
    later = T0 + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        reviews.reply_to_review(review_id=r.pk, actor=expert.user, text="Thanks a lot!", now=later)
    r.refresh_from_db()
    assert (r.reply, r.replied_at, r.reply_edited_at) == ("Thanks a lot!", T0, later)
    assert [env["type"] for _, env in sent] == ["review.replied", "review.replied"]
    assert Review.objects.count() == 1  # still one review, one reply


# --------------------------------------------------------------------------- hide


@pytest.mark.django_db
def test_hidden_review_leaves_the_average_and_is_audited(
    staff_user, sent, django_capture_on_commit_callbacks
):
    expert = make_expert()
    low, high = completed(expert), completed(expert)
    bad = reviews.post_review(consultation_id=low.pk, actor=low.user, rating=1, text="Spam")
    reviews.post_review(consultation_id=high.pk, actor=high.user, rating=5)
    assert totals(expert) == (Decimal("3.00"), 2, 6)
    with pytest.raises(NotAllowed):
        reviews.hide_review(review_id=bad.pk, actor=expert.user, reason="I dislike it")
    with pytest.raises(ServiceError) as exc:
        reviews.hide_review(review_id=bad.pk, actor=staff_user, reason=" ")
    assert exc.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        reviews.hide_review(review_id=bad.pk, actor=staff_user, reason="Advertising")
    assert totals(expert) == (Decimal("5.00"), 1, 5)
    with pytest.raises(Conflict):
        reviews.hide_review(review_id=bad.pk, actor=staff_user, reason="Again")
    assert totals(expert) == (Decimal("5.00"), 1, 5)  # a repeated hide subtracts nothing
    log = BookingAuditLog.objects.get(action="review_hidden")
    assert log.actor == staff_user and log.details["reason"] == "Advertising"
    assert log.consultation_id == low.pk and log.expert_id == expert.pk
    assert sent[-1][1]["type"] == "review.hidden"
    assert sent[-1][1]["data"]["hidden_reason"] == "Advertising"

    reviews.restore_review(review_id=bad.pk, actor=staff_user, reason="Appeal upheld")
    assert totals(expert) == (Decimal("3.00"), 2, 6)
    assert BookingAuditLog.objects.filter(action="review_restored").count() == 1
    with pytest.raises(Conflict):
        reviews.restore_review(review_id=bad.pk, actor=staff_user)


@pytest.mark.django_db
def test_hiding_the_only_review_resets_the_average_to_zero(staff_user):
    expert = make_expert()
    c = completed(expert)
    r = reviews.post_review(consultation_id=c.pk, actor=c.user, rating=4)
    reviews.hide_review(review_id=r.pk, actor=staff_user, reason="Off topic")
    assert totals(expert) == (Decimal("0.00"), 0, 0)


# --------------------------------------------------------------------------- API


@pytest.mark.django_db
def test_profile_lists_visible_reviews_newest_first_paginated(client_for, staff_user):
    expert = make_expert()
    made = []
    for day in range(12):
        c = completed(expert, days=day)
        made.append(
            reviews.post_review(
                consultation_id=c.pk,
                actor=c.user,
                rating=5,
                text=f"d{day}",
                now=T0 + timedelta(days=day),
            )
        )
    reviews.hide_review(review_id=made[11].pk, actor=staff_user, reason="Abuse")
    url = f"{API}/experts/{expert.pk}/reviews/"
    page1 = client_for(None).get(url).json()
    assert page1["count"] == 11
    assert [r["text"] for r in page1["results"]] == [f"d{d}" for d in range(10, 0, -1)]
    assert page1["results"][0]["can_reply"] is False and page1["results"][0]["hidden_reason"] == ""
    page2 = client_for(None).get(url, {"page": 2}).json()
    assert [r["text"] for r in page2["results"]] == ["d0"]
    # Staff see the hidden one too (to restore it), marked.
    staff = client_for(staff_user).get(url).json()
    assert staff["count"] == 12 and staff["results"][0]["is_hidden"] is True
    assert staff["results"][0]["hidden_reason"] == "Abuse" and staff["results"][0]["can_hide"]
    mine = client_for(expert.user).get(url).json()
    assert mine["results"][0]["can_reply"] is True


@pytest.mark.django_db
def test_reviews_of_an_unlisted_expert_are_not_found(client_for):
    expert = make_expert(verification_status=Expert.VerificationStatus.SUSPENDED)
    assert client_for(None).get(f"{API}/experts/{expert.pk}/reviews/").status_code == 404


@pytest.mark.django_db
def test_api_post_reply_hide(client_for, staff_user):
    expert = make_expert()
    c = completed(expert)
    url = f"{API}/consultations/{c.pk}/review/"
    bad = client_for(c.user).post(url, {"rating": 9}, format="json")
    assert bad.status_code == 400 and "rating" in bad.json()["error"]["fields"]
    assert client_for(expert.user).post(url, {"rating": 5}, format="json").status_code == 403
    r = client_for(c.user).post(url, {"rating": 4, "text": "Helpful"}, format="json")
    assert r.status_code == 201 and r.json()["rating"] == 4
    assert client_for(c.user).post(url, {"rating": 5}, format="json").status_code == 409
    detail = client_for(c.user).get(f"{API}/consultations/{c.pk}/").json()
    assert detail["review"]["text"] == "Helpful" and detail["can_review"] is False

    review_id = r.json()["id"]
    reply = client_for(expert.user).put(
        f"{API}/reviews/{review_id}/reply/", {"reply": "Glad it helped"}, format="json"
    )
    assert reply.status_code == 200 and reply.json()["reply"] == "Glad it helped"
    empty = client_for(expert.user).put(f"{API}/reviews/{review_id}/reply/", {}, format="json")
    assert empty.status_code == 400 and "reply" in empty.json()["error"]["fields"]

    hide = f"{API}/reviews/{review_id}/hide/"
    assert client_for(expert.user).post(hide, {"reason": "x"}, format="json").status_code == 403
    no_reason = client_for(staff_user).post(hide, {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    assert client_for(staff_user).post(hide, {"reason": "Abuse"}, format="json").status_code == 200
    assert client_for(staff_user).delete(hide, {}, format="json").status_code == 200
    assert totals(expert) == (Decimal("4.00"), 1, 4)


@pytest.mark.django_db
def test_old_rate_endpoint_still_answers_with_the_consultation(client_for):
    c = completed(make_expert())
    r = client_for(c.user).post(f"{API}/consultations/{c.pk}/rate/", {"rating": 5}, format="json")
    assert r.status_code == 200 and r.json()["review"]["rating"] == 5


# --------------------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_posts_for_one_expert_lose_no_rating(round_):
    """6 clients post at once (real PostgreSQL connections): every rating is counted."""
    expert = make_expert()
    ratings = [5, 4, 3, 5, 1, 2]
    consultations = [completed(expert, days=i) for i in range(len(ratings))]
    outcomes = run_concurrently(
        [
            (lambda c=c, r=r: reviews.post_review(consultation_id=c.pk, actor=c.user, rating=r))
            for c, r in zip(consultations, ratings, strict=True)
        ]
    )
    assert outcomes == ["ok"] * len(ratings), outcomes
    assert totals(expert) == (Decimal("3.33"), 6, 20)


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_hide_and_restore_keep_the_totals_equal_to_the_rows(staff_user):
    expert = make_expert()
    seeded = []
    for i in range(3):
        c = completed(expert, days=i)
        seeded.append(reviews.post_review(consultation_id=c.pk, actor=c.user, rating=2 + i))
    reviews.hide_review(review_id=seeded[2].pk, actor=staff_user, reason="Spam")
    fresh = [completed(expert, days=10 + i) for i in range(3)]
    calls = [
        lambda: reviews.hide_review(review_id=seeded[0].pk, actor=staff_user, reason="Spam"),
        lambda: reviews.restore_review(review_id=seeded[2].pk, actor=staff_user),
        *[
            (lambda c=c: reviews.post_review(consultation_id=c.pk, actor=c.user, rating=5))
            for c in fresh
        ],
    ]
    outcomes = run_concurrently(calls)
    assert outcomes == ["ok"] * len(calls), outcomes
    visible = list(
        Review.objects.filter(expert=expert, hidden_at__isnull=True).values_list(
            "rating", flat=True
        )
    )
    average, count, total = totals(expert)
    assert (count, total) == (len(visible), sum(visible)) == (5, 3 + 4 + 15)
    assert average == Decimal("4.40")


@pytest.mark.django_db(transaction=True)
def test_the_same_client_posting_twice_at_once_gets_one_review():
    expert = make_expert()
    c = completed(expert)
    outcomes = run_concurrently(
        [
            lambda: reviews.post_review(consultation_id=c.pk, actor=c.user, rating=5),
            lambda: reviews.post_review(consultation_id=c.pk, actor=c.user, rating=1),
        ]
    )
    assert sorted(outcomes) == ["already_reviewed", "ok"], outcomes
    assert Review.objects.filter(consultation=c).count() == 1
    average, count, total = totals(expert)
    assert count == 1 and total in (1, 5) and average == Decimal(total)
