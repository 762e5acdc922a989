"""Prices in several currencies: sorted and filtered after conversion to one display currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from consultations.services import currency
from consultations.tests.factories import add_weekly_hours, make_expert, make_user

LIST = reverse("expert-list")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_rates(settings):
    settings.CURRENCY_BASE = "USD"
    settings.CURRENCY_RATES = {"USD": 1, "EUR": 1.10, "GBP": 1.25, "JPY": 0.0070}


@pytest.fixture
def mixed():
    def expert(name: str, rate: str, code: str):
        return add_weekly_hours(
            make_expert(
                user=make_user(first_name=name), name=name, hourly_rate=Decimal(rate), currency=code
            )
        )

    return {
        # In USD: Eve $99, Dan $100, Gus $105 (≈ ¥15000), Fay $112.50 (£90), Hal ?? (no rate)
        "dan": expert("Dan", "100", "USD"),
        "eve": expert("Eve", "90", "EUR"),
        "fay": expert("Fay", "90", "GBP"),
        "gus": expert("Gus", "15000", "JPY"),
        "hal": expert("Hal", "10", "XTS"),
    }


def names(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [e["name"] for e in resp.json()["results"]]


def test_price_order_compares_converted_amounts_not_raw_numbers(api_client, mixed):
    # By raw number the order would be Eve=Fay(90) < Dan(100) < Gus(15000).
    assert names(api_client.get(LIST, {"ordering": "price"})) == ["Eve", "Dan", "Gus", "Fay", "Hal"]
    assert names(api_client.get(LIST, {"ordering": "-price"})) == [
        "Fay",
        "Gus",
        "Dan",
        "Eve",
        "Hal",  # no rate: cannot be compared, so last either way
    ]


def test_order_is_the_same_in_any_display_currency(api_client, mixed):
    for code in ("USD", "EUR", "GBP", "JPY"):
        got = names(api_client.get(LIST, {"ordering": "price", "display_currency": code}))
        assert got == ["Eve", "Dan", "Gus", "Fay", "Hal"], code


def test_price_range_is_in_the_display_currency(api_client, mixed):
    # €90..€95 is about $99..$104.5: Eve (€90) and Dan ($100 ≈ €90.91).
    got = names(
        api_client.get(
            LIST,
            {"display_currency": "EUR", "min_price": "90", "max_price": "95", "ordering": "price"},
        )
    )
    assert got == ["Eve", "Dan"]
    # The same range in dollars: Eve's €90 ≈ $99 is below it.
    got = names(api_client.get(LIST, {"min_price": "100", "max_price": "106", "ordering": "price"}))
    assert got == ["Dan", "Gus"]


def test_cards_get_the_converted_price_only_when_it_differs(api_client, mixed):
    rows = {
        e["name"]: e for e in api_client.get(LIST, {"display_currency": "eur"}).json()["results"]
    }
    assert rows["Eve"]["converted_hourly_rate"] is None  # already in euros
    assert rows["Dan"]["converted_hourly_rate"] == "90.91"
    assert rows["Dan"]["converted_currency"] == "EUR"
    assert rows["Fay"]["converted_hourly_rate"] == "102.27"
    assert rows["Hal"]["converted_hourly_rate"] is None
    # Without a display currency nothing is converted on the cards.
    plain = api_client.get(LIST).json()["results"]
    assert {e["converted_hourly_rate"] for e in plain} == {None}

    detail = api_client.get(
        reverse("expert-detail", args=[mixed["fay"].pk]), {"display_currency": "USD"}
    ).json()
    assert (detail["converted_hourly_rate"], detail["converted_currency"]) == ("112.50", "USD")


def test_unknown_display_currency_is_a_400_naming_the_field(api_client, mixed):
    resp = api_client.get(LIST, {"display_currency": "ABC"})
    assert resp.status_code == 400
    assert "display_currency" in resp.json()["error"]["fields"]
    resp = api_client.get(
        reverse("expert-detail", args=[mixed["dan"].pk]), {"display_currency": "x"}
    )
    assert resp.status_code == 400


def test_currencies_endpoint_lists_the_configured_rates(api_client):
    body = api_client.get(reverse("expert-currencies")).json()
    assert body["base"] == "USD"
    assert [c["code"] for c in body["currencies"]] == ["EUR", "GBP", "JPY", "USD"]


def test_convert_helper_rounds_to_cents():
    assert currency.convert(Decimal("90"), "GBP", "EUR") == Decimal("102.27")
    assert currency.convert(Decimal("5"), "USD", "USD") == Decimal("5")
    assert currency.convert(Decimal("5"), "XTS", "USD") is None
