"""Public expert list and detail: visibility, JSON shape, filters, ordering, query count."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations.models import Expert, ExpertiseArea, Language
from consultations.tests.factories import add_weekly_hours, make_expert, make_user
from consultations.tests.factories import expert_detail_url as detail

LIST = reverse("expert-list")

pytestmark = pytest.mark.django_db


def area(name: str) -> ExpertiseArea:
    from django.utils.text import slugify

    return ExpertiseArea.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0]


def lang(code: str, name: str = "") -> Language:
    return Language.objects.get_or_create(code=code, defaults={"name": name or code})[0]


def expert(name: str, *, areas=(), langs=(), **fields) -> Expert:
    e = add_weekly_hours(make_expert(user=make_user(first_name=name), name=name, **fields))
    e.expertise_areas.set([area(a) for a in areas])
    e.languages.set([lang(c) for c in langs])
    return e


def names(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [e["name"] for e in resp.json()["results"]]


# --------------------------------------------------------------------------- visibility


@pytest.mark.parametrize("status", ["pending", "under_review", "rejected", "suspended"])
def test_public_never_sees_a_non_approved_expert(api_client, client_for, status):
    hidden = expert("Hidden", verification_status=status)
    shown = expert("Shown")
    assert names(api_client.get(LIST)) == ["Shown"]
    assert api_client.get(detail(hidden.pk)).status_code == 404
    # Not even the expert themselves sees it on the public endpoint.
    assert client_for(hidden.user).get(detail(hidden.pk)).status_code == 404
    assert api_client.get(detail(shown.pk)).status_code == 200
    # verified=false cannot be used to reveal them either.
    assert names(api_client.get(LIST, {"verified": "false"})) == []


def test_missing_expert_is_404(api_client):
    resp = api_client.get(detail(424242))
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_expert_json_shape(api_client):
    soon = timezone.now() + timedelta(hours=3)
    e = expert(
        "Dora Data",
        areas=["Data science", "Statistics"],
        langs=["en", "de"],
        hourly_rate=Decimal("120.50"),
        currency="EUR",
        timezone="Europe/Berlin",
        session_lengths=[30, 45, 90],
        average_rating=Decimal("4.75"),
        review_count=12,
        next_available_at=soon,
        headline="Data scientist",
        bio="Long bio",
    )
    item = api_client.get(LIST).json()["results"][0]
    assert item["id"] == e.pk
    assert item["is_verified"] is True
    assert item["expertise_areas"] == ["Data science", "Statistics"]
    assert sorted(item["languages"]) == ["de", "en"]
    assert item["hourly_rate"] == "120.50"
    assert item["currency"] == "EUR"
    assert item["timezone"] == "Europe/Berlin"
    assert item["session_lengths"] == [30, 45, 90]
    assert item["average_rating"] == "4.75"
    assert item["review_count"] == 12
    assert item["next_available_at"] is not None
    assert item["avatar_url"] is None  # blank is sent as null, never as an invalid URL
    assert "bio" not in item and "user" not in item
    full = api_client.get(detail(e.pk)).json()
    assert full["bio"] == "Long bio"
    assert full["is_verified"] is True
    assert full["expertise_areas"] == item["expertise_areas"]


# --------------------------------------------------------------------------- filters


@pytest.fixture
def catalogue():
    return {
        "ana": expert(
            "Ana",
            areas=["Tax law", "Accounting"],
            langs=["en", "pt"],
            hourly_rate=Decimal("50"),
            average_rating=Decimal("4.9"),
            headline="Startup taxes",
        ),
        "ben": expert(
            "Ben",
            areas=["Accounting"],
            langs=["de"],
            hourly_rate=Decimal("150"),
            average_rating=Decimal("3.5"),
        ),
        "cai": expert(
            "Cai",
            areas=["Machine learning"],
            langs=["en"],
            hourly_rate=Decimal("90"),
            average_rating=Decimal("4.2"),
            currency="EUR",
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"expertise": "accounting"}, ["Ana", "Ben"]),
        ({"expertise": "Tax law"}, ["Ana"]),
        ({"expertise": "tax-law,machine-learning"}, ["Ana", "Cai"]),
        ({"language": "en"}, ["Ana", "Cai"]),
        ({"language": "DE"}, ["Ben"]),
        ({"min_price": "60"}, ["Ben", "Cai"]),
        # Prices compare in USD by default: Cai's €90 is about $97.
        ({"max_price": "90"}, ["Ana"]),
        ({"max_price": "100"}, ["Ana", "Cai"]),
        ({"min_price": "60", "max_price": "100"}, ["Cai"]),
        ({"min_rating": "4"}, ["Ana", "Cai"]),
        ({"currency": "eur"}, ["Cai"]),
        ({"verified": "true"}, ["Ana", "Ben", "Cai"]),
        ({"search": "cai"}, ["Cai"]),
        ({"search": "startup"}, ["Ana"]),
        ({"search": "account"}, ["Ana", "Ben"]),
        ({"search": "learn"}, ["Cai"]),
        ({"expertise": "accounting", "language": "en", "max_price": "60"}, ["Ana"]),
        ({"expertise": "nothing"}, []),
    ],
)
def test_filters(api_client, catalogue, params, expected):
    assert sorted(names(api_client.get(LIST, params))) == expected


def test_expert_matching_several_areas_is_listed_once(api_client, catalogue):
    resp = api_client.get(LIST, {"expertise": "tax-law,accounting", "search": "a"})
    assert sorted(names(resp)) == ["Ana", "Ben"]
    assert resp.json()["count"] == 2


def test_bad_filter_values_are_400(api_client, catalogue):
    resp = api_client.get(LIST, {"min_price": "cheap"})
    assert resp.status_code == 400
    assert "min_price" in resp.json()["error"]["fields"]
    resp = api_client.get(LIST, {"ordering": "password"})
    assert resp.status_code == 400
    assert "ordering" in resp.json()["error"]["fields"]


# --------------------------------------------------------------------------- ordering


def test_default_order_is_best_rated_first(api_client, catalogue):
    assert names(api_client.get(LIST)) == ["Ana", "Cai", "Ben"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("rating", ["Ben", "Cai", "Ana"]),
        ("-rating", ["Ana", "Cai", "Ben"]),
        ("price", ["Ana", "Cai", "Ben"]),
        ("-price", ["Ben", "Cai", "Ana"]),
    ],
)
def test_order_by_rating_and_price(api_client, catalogue, ordering, expected):
    assert names(api_client.get(LIST, {"ordering": ordering})) == expected


def test_soonest_availability_puts_experts_without_slots_last(api_client):
    now = timezone.now()
    expert("Later", next_available_at=now + timedelta(days=3))
    expert("Never", next_available_at=None)
    expert("Soon", next_available_at=now + timedelta(hours=2))
    expert("Middle", next_available_at=now + timedelta(days=1))
    assert names(api_client.get(LIST, {"ordering": "availability"})) == [
        "Soon",
        "Middle",
        "Later",
        "Never",
    ]
    assert names(api_client.get(LIST, {"ordering": "-availability"})) == [
        "Later",
        "Middle",
        "Soon",
        "Never",
    ]


# --------------------------------------------------------------------------- pagination


def test_pagination_with_page_size(api_client):
    for i in range(5):
        expert(f"E{i}", average_rating=Decimal(f"4.{i}"))
    first = api_client.get(LIST, {"page_size": 2}).json()
    assert first["count"] == 5
    assert [e["name"] for e in first["results"]] == ["E4", "E3"]
    assert first["next"] is not None
    third = api_client.get(LIST, {"page_size": 2, "page": 3}).json()
    assert [e["name"] for e in third["results"]] == ["E0"]
    assert third["next"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "٣"}, "page"),  # a digit, but not an ASCII one
        ({"page": "9" * 40}, "page"),  # past the last page
        ({"page": "4", "page_size": "2"}, "page"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_page_numbers_are_a_400_naming_the_parameter(api_client, params, field):
    """Was DRF's 404 "Invalid page.": the list exists, the parameter is wrong."""
    for i in range(5):
        expert(f"E{i}")
    resp = api_client.get(LIST, params)
    assert resp.status_code == 400
    assert list(resp.json()["error"]["fields"]) == [field]


def test_last_page_and_an_empty_list_still_work(api_client):
    assert api_client.get(LIST, {"page": "1"}).json()["count"] == 0  # page 1 of nothing
    for i in range(5):
        expert(f"E{i}")
    last = api_client.get(LIST, {"page": "last", "page_size": 2}).json()
    assert len(last["results"]) == 1 and last["next"] is None


def test_page_size_is_capped(api_client):
    expert("Only")
    resp = api_client.get(LIST, {"page_size": 10_000})
    assert resp.status_code == 200
    assert resp.json()["count"] == 1


# --------------------------------------------------------------------------- query count


@pytest.fixture
def many_experts():
    for i in range(12):
        expert(
            f"Expert {i:02d}",
            areas=[f"Area {i % 4}", f"Area {(i + 1) % 4}"],
            langs=["en", "fr"] if i % 2 else ["de"],
            average_rating=Decimal("4.0"),
        )
    # Suspended ones must not add queries either.
    expert("Suspended", areas=["Area 0"], verification_status="suspended")


@pytest.mark.parametrize("page_size", [2, 10])
def test_list_uses_a_constant_number_of_queries(
    api_client, many_experts, django_assert_num_queries, page_size
):
    # count, page of experts, expertise areas prefetch, languages prefetch
    with django_assert_num_queries(4):
        resp = api_client.get(LIST, {"page_size": page_size})
    results = resp.json()["results"]
    assert len(results) == page_size
    assert all(len(r["expertise_areas"]) == 2 and r["languages"] for r in results)


@pytest.mark.parametrize("page_size", [2, 10])
def test_filtered_and_ordered_list_is_also_constant(
    api_client, many_experts, django_assert_num_queries, page_size
):
    params = {
        "page_size": page_size,
        "expertise": "area-1,area-2,area-3",
        "language": "en,de",
        "search": "expert",
        "ordering": "availability",
    }
    with django_assert_num_queries(4):
        resp = api_client.get(LIST, params)
    assert len(resp.json()["results"]) == page_size


# --------------------------------------------------------------------------- bookable only


def test_an_approved_expert_is_listed_only_once_bookable(api_client):
    fresh = make_expert(user=make_user(first_name="Fresh"), name="Fresh")
    assert names(api_client.get(LIST)) == []
    # The profile itself stays reachable (the expert previews it while onboarding).
    assert api_client.get(detail(fresh.pk)).status_code == 200

    add_weekly_hours(fresh)
    assert names(api_client.get(LIST)) == ["Fresh"]

    fresh.session_lengths = []
    fresh.save(update_fields=["session_lengths"])
    assert names(api_client.get(LIST)) == []


# --------------------------------------------------------------------------- search and languages


def test_search_reads_the_bio_with_stemming(api_client):
    expert("Lucas", bio="Golden visa, D7 and digital-nomad residence.", headline="Lawyer")
    expert("Amelie", bio="VAT and income tax for freelancers.", headline="Tax advisor")
    assert names(api_client.get(LIST, {"search": "visa"})) == ["Lucas"]
    assert names(api_client.get(LIST, {"search": "visas"})) == ["Lucas"]
    assert names(api_client.get(LIST, {"search": "income tax"})) == ["Amelie"]
    # Partial names still match.
    assert names(api_client.get(LIST, {"search": "Luc"})) == ["Lucas"]


def test_language_filter_takes_names_as_well_as_codes(api_client):
    lang("ja", "Japanese")
    expert("Yuki", langs=["ja"])
    expert("Marcus", langs=["en"])
    assert names(api_client.get(LIST, {"language": "Japanese"})) == ["Yuki"]
    assert names(api_client.get(LIST, {"language": "japanese"})) == ["Yuki"]
    assert names(api_client.get(LIST, {"language": "ja"})) == ["Yuki"]
