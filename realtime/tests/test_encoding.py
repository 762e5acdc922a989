"""Frames and stream entries encode values exactly as Django's JSON encoder did."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy

from consultations.models import Consultation
from realtime import encoding

NOW = dt.datetime(2026, 11, 30, 6, 1, 2, 345678, tzinfo=dt.UTC)


def django_values(value: object) -> object:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@pytest.mark.parametrize(
    "value",
    [
        NOW,  # milliseconds and "Z", not orjson's microseconds and "+00:00"
        NOW.replace(microsecond=0),
        NOW.astimezone(dt.timezone(dt.timedelta(hours=-5))),
        NOW.replace(tzinfo=None),
        NOW.date(),
        dt.time(9, 30, 15, 250000),
        dt.timedelta(minutes=45),
        Decimal("49.90"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        gettext_lazy("Hello"),
        Consultation.Status.CONFIRMED,  # a str enum: its value
        {"nested": [{"at": NOW, "price": Decimal("1.5"), "text": 'é ✓ "q"\n'}]},
        2**70,  # past 64 bits: the standard library writes it
        {1: "a", 2: "b"},  # int keys become strings, as before
        [1.5, 1e16, None, True],
    ],
)
def test_values_encode_as_djangos_encoder_did(value: object) -> None:
    assert encoding.loads(encoding.dumps(value)) == django_values(value)


def test_datetimes_keep_djangos_text() -> None:
    assert encoding.dumps({"ts": NOW}) == '{"ts":"2026-11-30T06:01:02.345Z"}'


def test_a_type_no_encoder_knows_is_still_refused() -> None:
    with pytest.raises(TypeError):
        encoding.dumps({"x": object()})


def test_entries_written_by_the_standard_library_still_decode() -> None:
    assert math.isnan(encoding.loads(json.dumps({"a": float("nan")}))["a"])


@pytest.mark.parametrize("big", [2**64 + 1, -(2**63) - 1, 10**30 + 7])
def test_integers_past_64_bits_come_back_as_the_same_integer(big: int) -> None:
    # orjson reads such an integer as a float (2**64 + 1 would come back 2**64); an entry
    # holding one must decode as the standard library decodes it.
    for raw in (encoding.dumps({"id": big}), encoding.dumps_bytes({"id": big})):
        value = encoding.loads(raw)["id"]
        assert type(value) is int and value == big
