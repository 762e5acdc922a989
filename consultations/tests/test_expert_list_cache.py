"""The public expert list is cached briefly and never shows an expert change late:
every change that affects the list drops the cached pages once it commits."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consultations.services import availability, booking
from consultations.tests.factories import add_weekly_hours, make_expert, make_user

LIST = reverse("expert-list")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def cached(settings):
    settings.EXPERT_LIST_CACHE_SECONDS = 60


def listed(api_client, **params) -> list[dict]:
    resp = api_client.get(LIST, params)
    assert resp.status_code == 200, resp.content
    return resp.json()["results"]


def test_a_page_is_served_from_the_cache_the_same_for_everyone(api_client, client_for):
    add_weekly_hours(make_expert(name="Ada"))
    first = api_client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        again = api_client.get(LIST)
    assert len(queries) == 0
    assert again.json() == first.json()
    # Signed in, the same public page (the token lookup is the only query).
    with CaptureQueriesContext(connection) as queries:
        signed_in = client_for(make_user()).get(LIST)
    assert signed_in.json() == first.json()
    assert not [q for q in queries if "consultations_expert" in q["sql"]]


def test_filters_and_pages_are_cached_apart_and_bad_input_still_fails(api_client):
    add_weekly_hours(make_expert(name="Cheap", hourly_rate=20))
    add_weekly_hours(make_expert(name="Dear", hourly_rate=200))
    assert [e["name"] for e in listed(api_client, max_price=50)] == ["Cheap"]
    assert [e["name"] for e in listed(api_client, min_price=50)] == ["Dear"]
    assert [e["name"] for e in listed(api_client, max_price=50)] == ["Cheap"]
    for _ in range(2):
        bad = api_client.get(LIST, {"max_price": "lots"})
        assert bad.status_code == 400 and "max_price" in bad.content.decode()


def test_an_edited_expert_shows_at_once(api_client):
    expert = add_weekly_hours(make_expert(name="Before"))
    assert [e["name"] for e in listed(api_client)] == ["Before"]
    expert.name = "After"
    expert.save()
    assert [e["name"] for e in listed(api_client)] == ["After"]


def test_a_new_suspended_or_unlisted_expert_shows_at_once(api_client):
    first = add_weekly_hours(make_expert(name="First"))
    assert [e["name"] for e in listed(api_client)] == ["First"]
    add_weekly_hours(make_expert(name="Second"))
    assert sorted(e["name"] for e in listed(api_client)) == ["First", "Second"]
    first.verification_status = "suspended"
    first.save()
    assert [e["name"] for e in listed(api_client)] == ["Second"]


def test_weekly_hours_and_expertise_changes_show_at_once(api_client):
    from consultations.models import ExpertiseArea

    expert = add_weekly_hours(make_expert(name="Hours"))
    assert len(listed(api_client)) == 1
    area = ExpertiseArea.objects.create(slug="tax", name="Tax")
    expert.expertise_areas.add(area)
    assert listed(api_client)[0]["expertise_areas"] == ["Tax"]
    availability.replace_weekly_rules(expert, [])  # no hours: off the list
    assert listed(api_client) == []


def test_a_booking_that_moves_the_soonest_slot_shows_at_once(api_client):
    expert = add_weekly_hours(make_expert(name="Busy", min_notice_minutes=0))
    from consultations.services import scheduling

    scheduling.refresh_next_available_at(expert)
    soonest = listed(api_client)[0]["next_available_at"]
    assert soonest is not None
    expert.refresh_from_db()
    booking.book_consultation(
        user=make_user(),
        expert_id=expert.pk,
        start_at=expert.next_available_at,
        duration_minutes=expert.session_lengths[0],
        topic="First slot",
    )
    assert listed(api_client)[0]["next_available_at"] != soonest


def test_pages_expire_after_the_ttl_even_without_a_signal(api_client, settings):
    import time_machine

    from consultations.models import Expert

    expert = add_weekly_hours(make_expert(name="Quiet"))
    settings.EXPERT_LIST_CACHE_SECONDS = 10
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert [e["name"] for e in listed(api_client)] == ["Quiet"]
        Expert.objects.filter(pk=expert.pk).update(name="Renamed")  # no signal
        assert [e["name"] for e in listed(api_client)] == ["Quiet"]
        clock.shift(timedelta(seconds=11))
        assert [e["name"] for e in listed(api_client)] == ["Renamed"]


def test_a_new_review_shows_in_the_rating_at_once(api_client):
    from consultations.models import Consultation
    from consultations.services import reviews
    from consultations.tests.factories import make_consultation

    expert = add_weekly_hours(make_expert(name="Rated"))
    assert listed(api_client)[0]["review_count"] == 0
    client = make_user()
    done = make_consultation(
        user=client,
        expert=expert,
        start_at=timezone.now() - timedelta(days=2),
        minutes=30,
        status=Consultation.Status.COMPLETED,
    )
    reviews.post_review(consultation_id=done.pk, actor=client, rating=4)
    row = listed(api_client)[0]
    assert row["review_count"] == 1 and row["average_rating"] == "4.00"


def _version_bumps(monkeypatch) -> list[str]:
    from consultations import expert_list_cache

    bumps: list[str] = []
    real = expert_list_cache.cache.set

    def counting_set(key, *args, **kwargs):
        if key == expert_list_cache.VERSION_KEY:
            bumps.append(key)
        return real(key, *args, **kwargs)

    monkeypatch.setattr(expert_list_cache.cache, "set", counting_set)
    return bumps


def test_many_changes_in_one_transaction_bump_the_version_once(api_client, monkeypatch):
    from django.db import transaction

    experts = [add_weekly_hours(make_expert(name=f"E{i}")) for i in range(3)]
    bumps = _version_bumps(monkeypatch)
    with transaction.atomic():
        for i, expert in enumerate(experts):
            expert.name = f"Renamed {i}"
            expert.save()
    assert len(bumps) == 1
    assert sorted(e["name"] for e in listed(api_client)) == ["Renamed 0", "Renamed 1", "Renamed 2"]


def test_a_change_after_a_rolled_back_savepoint_still_drops_the_pages(api_client, monkeypatch):
    from django.db import transaction

    expert = add_weekly_hours(make_expert(name="Before"))
    assert [e["name"] for e in listed(api_client)] == ["Before"]
    bumps = _version_bumps(monkeypatch)
    with transaction.atomic():
        try:
            with transaction.atomic():
                expert.name = "Rolled back"
                expert.save()  # queues a bump in the savepoint ...
                raise RuntimeError
        except RuntimeError:
            pass  # ... which the rollback discards
        expert.name = "After"
        expert.save()  # so this change must queue its own
    assert len(bumps) == 1
    assert [e["name"] for e in listed(api_client)] == ["After"]


def test_a_booking_that_leaves_the_soonest_slot_keeps_the_cached_pages(api_client, monkeypatch):
    """Recomputed but unchanged: no write, no bump; the list still shows the same slot."""
    from consultations.services import scheduling

    expert = add_weekly_hours(make_expert(name="Calm", min_notice_minutes=0))  # Mondays
    # A coming Sunday noon, so the soonest slot is the start of Monday's hours and the day
    # has later slots whatever time the suite runs.
    today = timezone.now()
    now = (today + timedelta(days=(6 - today.weekday()) % 7 or 7)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    scheduling.refresh_next_available_at(expert, now=now)
    expert.refresh_from_db()
    soonest = expert.next_available_at
    assert soonest is not None
    listed(api_client)
    bumps = _version_bumps(monkeypatch)
    # The day's last free slot: on the soonest slot's own day (so the shortcut that skips
    # recomputing does not apply), and not touching the soonest slot.
    length = expert.session_lengths[0]
    day = soonest.astimezone(ZoneInfo(expert.timezone)).date()
    slots = scheduling.get_available_slots(
        expert, date_from=day, date_to=day, duration_minutes=length, now=now
    )
    later = slots[-1].start
    assert later >= soonest + timedelta(minutes=2 * length)
    booking.book_consultation(
        user=make_user(),
        expert_id=expert.pk,
        start_at=later,
        duration_minutes=length,
        topic="Later the same day",
        now=now,
    )
    expert.refresh_from_db()
    assert expert.next_available_at == soonest
    assert bumps == []
    [row] = listed(api_client)
    assert row["next_available_at"] == soonest.isoformat().replace("+00:00", "Z")
