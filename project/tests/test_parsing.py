"""project/parsing.py: every external value is read one way; out of range is a clear error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from project import parsing
from project.parsing import MAX_DATE, MIN_DATE, ParseError


@pytest.mark.parametrize(
    "text",
    [
        "2027-02-30T10:00:00Z",  # impossible day
        "2026-13-01T00:00:00Z",
        "2026-01-01T25:00:00Z",
        "2026-01-01T00:00:00+23:47",  # beyond any real offset (PostgreSQL refuses it)
        "2026-01-01T00:00:00-14:01",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-10:00",  # would overflow when converted to UTC
        "1900-01-01T00:00:00+01:00",  # before MIN_DATE once in UTC
        "nonsense",
        "",
    ],
)
def test_impossible_or_out_of_range_instants_are_refused(text):
    with pytest.raises(ParseError):
        parsing.read_instant(text)


def test_instant_is_utc_and_naive_text_needs_an_offset():
    assert parsing.read_instant("2026-03-29T01:30:00+14:00") == datetime(
        2026, 3, 28, 11, 30, tzinfo=UTC
    )
    with pytest.raises(ParseError, match="offset"):
        parsing.read_instant("2026-03-29T01:30:00")
    assert parsing.read_datetime("2026-03-29T01:30:00").tzinfo is None


@pytest.mark.parametrize("text", ["2027-02-30", "9999-12-31", "0001-01-01", "2026-01", "x", 5])
def test_bad_dates_are_refused(text):
    with pytest.raises(ParseError):
        parsing.read_date(text)


@pytest.mark.parametrize("value", [0, -1, 2**63, "1e3", "1.5", 1.5, True, None, "", "9" * 30])
def test_bad_ids_are_refused(value):
    with pytest.raises(ParseError):
        parsing.read_id(value)


def test_ids_within_bigint_are_read():
    assert parsing.read_id("42") == 42
    assert parsing.read_id(2**63 - 1) == 2**63 - 1


@given(st.text(max_size=40))
def test_any_text_is_read_or_refused_with_a_parse_error(text):
    for reader in (parsing.read_instant, parsing.read_date, parsing.read_id):
        try:
            reader(text)
        except ParseError as exc:
            assert exc.message


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-24 * 60 + 1, max_value=24 * 60 - 1),
)
def test_any_datetime_and_offset_is_in_range_utc_or_refused(moment, offset_minutes):
    tz = timezone(timedelta(minutes=offset_minutes))
    text = moment.replace(tzinfo=tz).isoformat()
    try:
        instant = parsing.read_instant(text)
    except ParseError:
        in_utc = moment - timedelta(minutes=offset_minutes)
        assert (
            abs(offset_minutes) > 14 * 60
            or not MIN_DATE <= moment.date() <= MAX_DATE
            or not MIN_DATE <= in_utc.date() <= MAX_DATE
        )
    else:
        assert instant.tzinfo is UTC
        assert MIN_DATE <= instant.date() <= MAX_DATE
        assert instant == moment.replace(tzinfo=tz)


@given(st.dates())
def test_any_date_is_read_when_in_range(day):
    if MIN_DATE <= day <= MAX_DATE:
        assert parsing.read_date(day.isoformat()) == day
    else:
        with pytest.raises(ParseError):
            parsing.read_date(day.isoformat())


def test_filter_form_field_reads_naive_as_utc_and_refuses_far_offsets():
    from django import forms

    field = parsing.InstantFormField(required=False)
    assert field.clean("2026-01-01T10:00:00") == datetime(2026, 1, 1, 10, tzinfo=UTC)
    with pytest.raises(forms.ValidationError):
        field.clean("2026-01-01T00:00:00+23:47")
    assert field.clean("") is None
    assert date(2026, 1, 1) == field.clean("2026-01-01T00:00:00Z").date()
