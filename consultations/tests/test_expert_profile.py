"""The expert's own profile: GET/PATCH experts/me/ and services.expert_profile."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations.models import Expert, ExpertAvailability, ExpertiseArea, Language
from consultations.services import expert_profile as profile_service
from consultations.services.expert_profile import update_expert_profile
from consultations.services.scheduling import refresh_next_available_at
from consultations.tests.factories import add_weekly_hours, make_expert, make_user
from consultations.tests.factories import expert_detail_url as detail
from project.api_errors import NotAllowed, ServiceError

ME = reverse("expert-me")

pytestmark = pytest.mark.django_db


def snapshot(expert: Expert) -> dict[str, Any]:
    """Everything a profile edit may touch, read fresh from the database."""
    fresh = Expert.objects.get(pk=expert.pk)
    return {
        **{f: getattr(fresh, f) for f in profile_service.TEXT_FIELDS},
        "hourly_rate": fresh.hourly_rate,
        "currency": fresh.currency,
        "timezone": fresh.timezone,
        "session_lengths": fresh.session_lengths,
        "next_available_at": fresh.next_available_at,
        "updated_at": fresh.updated_at,
        "expertise_areas": sorted(a.name for a in fresh.expertise_areas.all()),
        "languages": sorted(lang.code for lang in fresh.languages.all()),
        "area_rows": ExpertiseArea.objects.count(),
        "language_rows": Language.objects.count(),
    }


@pytest.fixture
def expert() -> Expert:
    e = make_expert(
        user=make_user(first_name="Erin", last_name="Expert"),
        name="Erin Expert",
        headline="Tax adviser",
        currency="USD",
        session_lengths=[30, 60],
    )
    e.languages.set([Language.objects.create(code="en", name="English")])
    e.expertise_areas.set([ExpertiseArea.objects.create(name="Tax", slug="tax")])
    return e


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("status", [s for s, _ in Expert.VerificationStatus.choices])
def test_get_returns_own_profile_whatever_the_status(client_for, status):
    expert = make_expert(name="Sam", verification_status=status, bio="Private draft")
    resp = client_for(expert.user).get(ME)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["id"] == expert.pk
    assert body["name"] == "Sam"
    assert body["bio"] == "Private draft"
    assert body["verification_status"] == status
    assert body["is_verified"] is (status == "approved")


def test_get_without_expert_profile_is_404(client_for, user):
    resp = client_for(user).get(ME)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_anonymous_is_refused(api_client, expert):
    assert api_client.get(ME).status_code == 403
    assert api_client.patch(ME, {"name": "Hacked"}, format="json").status_code == 403
    assert Expert.objects.get(pk=expert.pk).name == "Erin Expert"


def test_me_is_routed_before_the_numeric_detail(api_client, expert):
    # "me" must not fall through to experts/<int:pk>/ (nor be taken as an id).
    assert reverse("expert-me") == "/api/v1/consultations/experts/me/"
    assert api_client.get(detail(expert.pk)).status_code == 200


# --------------------------------------------------------------------------- editing


def test_patch_edits_every_field_and_the_public_profile_shows_it(client_for, api_client, expert):
    resp = client_for(expert.user).patch(
        ME,
        {
            "name": "  Erin Q. Expert ",
            "headline": "Cross-border tax",
            "bio": "Twenty years of practice.",
            "avatar_url": "https://cdn.example.com/erin.png",
            "hourly_rate": "95.50",
            "currency": "eur",
            "timezone": "Europe/Paris",
            "session_lengths": [90, 45],
            "expertise_areas": ["International tax", " VAT ", "vat"],
            "languages": ["FR", "pt_BR"],
        },
        format="json",
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["name"] == "Erin Q. Expert"
    assert body["currency"] == "EUR"
    assert body["hourly_rate"] == "95.50"
    assert body["session_lengths"] == [45, 90]
    assert body["expertise_areas"] == ["International tax", "VAT"]
    assert sorted(body["languages"]) == ["fr", "pt-br"]

    # Rows are made the way an approval makes them (slug-matched areas, named languages).
    assert ExpertiseArea.objects.get(slug="vat").name == "VAT"
    assert Language.objects.get(code="pt-br").name == "Brazilian Portuguese"

    public = api_client.get(detail(expert.pk)).json()
    assert public["name"] == "Erin Q. Expert"
    assert public["headline"] == "Cross-border tax"
    assert public["bio"] == "Twenty years of practice."
    assert public["avatar_url"] == "https://cdn.example.com/erin.png"
    assert public["hourly_rate"] == "95.50"
    assert public["currency"] == "EUR"
    assert public["timezone"] == "Europe/Paris"
    assert public["session_lengths"] == [45, 90]
    assert public["expertise_areas"] == ["International tax", "VAT"]
    assert sorted(public["languages"]) == ["fr", "pt-br"]
    # The list's filters see the new areas too (once the expert has hours, i.e. is bookable).
    add_weekly_hours(expert)
    listed = api_client.get(reverse("expert-list"), {"expertise": "vat"}).json()["results"]
    assert [e["id"] for e in listed] == [expert.pk]


def test_patch_changes_only_the_keys_sent(client_for, expert):
    before = snapshot(expert)
    resp = client_for(expert.user).patch(ME, {"headline": "New headline"}, format="json")
    assert resp.status_code == 200, resp.content
    after = snapshot(expert)
    assert after.pop("headline") == "New headline"
    before.pop("headline")
    before.pop("updated_at"), after.pop("updated_at")
    assert after == before


def test_reuses_existing_area_and_language_rows(client_for, expert):
    rows = (ExpertiseArea.objects.count(), Language.objects.count())
    resp = client_for(expert.user).patch(
        ME, {"expertise_areas": ["tax"], "languages": ["EN"]}, format="json"
    )
    assert resp.status_code == 200, resp.content
    assert (ExpertiseArea.objects.count(), Language.objects.count()) == rows
    assert resp.json()["expertise_areas"] == ["Tax"]


def test_lists_can_be_emptied_and_avatar_removed(client_for, expert):
    Expert.objects.filter(pk=expert.pk).update(avatar_url="https://x.example/a.png")
    resp = client_for(expert.user).patch(
        ME, {"expertise_areas": [], "languages": [], "avatar_url": None}, format="json"
    )
    assert resp.status_code == 200, resp.content
    fresh = Expert.objects.get(pk=expert.pk)
    assert fresh.avatar_url == ""
    assert not fresh.expertise_areas.exists()
    assert not fresh.languages.exists()


@pytest.mark.parametrize("status", ["pending", "suspended"])
def test_unapproved_expert_can_edit_but_stays_hidden(client_for, api_client, status):
    expert = make_expert(verification_status=status)
    resp = client_for(expert.user).patch(ME, {"name": "Draft name"}, format="json")
    assert resp.status_code == 200, resp.content
    assert Expert.objects.get(pk=expert.pk).name == "Draft name"
    assert api_client.get(detail(expert.pk)).status_code == 404


# --------------------------------------------------------------------------- bad input


BAD_INPUT = [
    ("name", {"name": ""}),
    ("name", {"name": "x" * 151}),
    ("headline", {"headline": "x" * 201}),
    ("avatar_url", {"avatar_url": "not a url"}),
    ("avatar_url", {"avatar_url": "javascript:alert(1)"}),
    ("hourly_rate", {"hourly_rate": "-1"}),
    ("hourly_rate", {"hourly_rate": "cheap"}),
    ("currency", {"currency": "EURO"}),
    ("currency", {"currency": "E1R"}),
    ("timezone", {"timezone": "Mars/Olympus_Mons"}),
    ("timezone", {"timezone": ""}),
    ("session_lengths", {"session_lengths": []}),
    ("session_lengths", {"session_lengths": [20]}),
    ("session_lengths", {"session_lengths": [0]}),
    ("session_lengths", {"session_lengths": [255]}),
    ("session_lengths", {"session_lengths": [30, 30]}),
    ("session_lengths", {"session_lengths": [15, 30, 45, 60, 75, 90, 105]}),
    ("session_lengths", {"session_lengths": 60}),
    ("expertise_areas", {"expertise_areas": ["ok", ""]}),
    ("expertise_areas", {"expertise_areas": ["!!!"]}),
    ("expertise_areas", {"expertise_areas": [f"area {i}" for i in range(21)]}),
    ("languages", {"languages": ["english!"]}),
    ("languages", {"languages": "en"}),
    # Scheduling knobs belong to the settings endpoint: refused, not silently dropped.
    ("buffer_before_minutes", {"buffer_before_minutes": 15}),
    ("user", {"user": 1}),
]


@pytest.mark.parametrize(("field", "payload"), BAD_INPUT, ids=[str(p) for _, p in BAD_INPUT])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(client_for, expert, field, payload):
    before = snapshot(expert)
    # A valid change alongside the bad one must not be saved either.
    resp = client_for(expert.user).patch(ME, {"headline": "Changed", **payload}, format="json")
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert field in body["error"]["fields"], body
    assert field in body
    assert snapshot(expert) == before


def test_read_only_keys_sent_back_are_ignored(client_for, expert):
    fetched = client_for(expert.user).get(ME).json()
    fetched.update(verification_status="approved", average_rating="5.00", headline="Edited")
    Expert.objects.filter(pk=expert.pk).update(verification_status="pending")
    resp = client_for(expert.user).patch(ME, fetched, format="json")
    assert resp.status_code == 200, resp.content
    fresh = Expert.objects.get(pk=expert.pk)
    assert fresh.headline == "Edited"
    assert fresh.verification_status == "pending"
    assert fresh.average_rating == Decimal("0")


def test_service_refuses_bad_values_from_any_caller(expert):
    before = snapshot(expert)
    with pytest.raises(ServiceError) as exc:
        update_expert_profile(expert=expert, actor=expert.user, currency="usd1")
    assert exc.value.field == "currency"
    with pytest.raises(ServiceError) as exc:
        update_expert_profile(expert=expert, actor=expert.user, session_lengths=[True])
    assert exc.value.field == "session_lengths"
    with pytest.raises(ServiceError) as exc:
        update_expert_profile(expert=expert, actor=expert.user, min_notice_minutes=0)
    assert exc.value.field == "min_notice_minutes"
    assert snapshot(expert) == before


# --------------------------------------------------------------------------- who may edit


def test_other_users_cannot_edit_someone_elses_profile(client_for, other_user, expert):
    before = snapshot(expert)
    # /me/ only ever means the caller: a user without a profile gets 404 ...
    resp = client_for(other_user).patch(ME, {"name": "Mallory"}, format="json")
    assert resp.status_code == 404
    # ... another expert edits their own row, never this one ...
    rival = make_expert(name="Rival")
    resp = client_for(rival.user).patch(ME, {"name": "Mallory"}, format="json")
    assert resp.status_code == 200
    assert Expert.objects.get(pk=rival.pk).name == "Mallory"
    # ... and the public profile URL is read-only.
    resp = client_for(rival.user).patch(detail(expert.pk), {"name": "Mallory"}, format="json")
    assert resp.status_code == 405
    assert snapshot(expert) == before


def test_service_refuses_an_actor_who_is_not_the_expert(expert, other_user, staff_user):
    before = snapshot(expert)
    for actor in (other_user, staff_user):
        with pytest.raises(NotAllowed):
            update_expert_profile(expert=expert, actor=actor, name="Mallory")
    assert snapshot(expert) == before


# --------------------------------------------------------------------------- next_available_at


@pytest.fixture
def bookable_expert() -> Expert:
    expert = make_expert(session_lengths=[60], min_notice_minutes=0, timezone="UTC")
    tomorrow = (timezone.now() + timedelta(days=1)).date()
    ExpertAvailability.objects.create(
        expert=expert, weekday=tomorrow.weekday(), start_time=time(9), end_time=time(10)
    )
    refresh_next_available_at(expert)
    expert.refresh_from_db()
    assert expert.next_available_at is not None
    return expert


def test_session_length_change_refreshes_next_available_at(client_for, bookable_expert):
    # Only a 60-minute window a week: a 90-minute session never fits.
    resp = client_for(bookable_expert.user).patch(ME, {"session_lengths": [90]}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["next_available_at"] is None
    assert Expert.objects.get(pk=bookable_expert.pk).next_available_at is None


def test_timezone_change_refreshes_next_available_at(client_for, bookable_expert):
    before = bookable_expert.next_available_at
    # 09:00 in Tokyo is 00:00 UTC: the same weekly rule now starts nine hours earlier.
    resp = client_for(bookable_expert.user).patch(ME, {"timezone": "Asia/Tokyo"}, format="json")
    assert resp.status_code == 200, resp.content
    after = Expert.objects.get(pk=bookable_expert.pk).next_available_at
    assert after is not None and after != before
    assert after.astimezone(timezone.get_fixed_timezone(9 * 60)).hour == 9


def test_other_edits_do_not_recompute_availability(client_for, bookable_expert, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(profile_service, "refresh_next_available_at", lambda e: calls.append(e.pk))
    client_for(bookable_expert.user).patch(
        ME, {"name": "New", "session_lengths": [60], "timezone": "UTC"}, format="json"
    )
    assert calls == []
    client_for(bookable_expert.user).patch(ME, {"session_lengths": [30, 60]}, format="json")
    assert calls == [bookable_expert.pk]


def test_list_item_errors_are_flat_messages(client_for, expert):
    resp = client_for(expert.user).patch(ME, {"languages": ["en", "??"]}, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"] == {
        "languages": ["Item 2: Use a language code like 'en' or 'pt-BR'."]
    }
