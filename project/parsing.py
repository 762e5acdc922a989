"""One way to read every external value: dates, instants, offsets, zones, ids, pages.

Serializers, django-filter FilterSets and socket handlers all use these, so an
impossible or out-of-range value (2027-02-30, year 0001 or 9999, a UTC offset of +23:47,
an id past bigint, a page past any list) is a 400 that names the field, never a 500 from
Python's datetime arithmetic or from PostgreSQL.

Ranges: instants and dates between MIN_DATE and MAX_DATE (years 1900-2999), which leaves
room for any arithmetic the app does (horizons, buffers, time zones) without overflow;
UTC offsets within +/-14:00, the widest any real zone uses; ids 1..2^63-1 (bigint).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django import forms
from django.utils.dateparse import parse_date, parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
MAX_UTC_OFFSET = timedelta(hours=14)
MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000

INSTANT_FORMAT_HINT = "Use ISO 8601 with an offset, e.g. 2026-05-04T09:00:00Z."
DATE_FORMAT_HINT = "Use YYYY-MM-DD, e.g. 2026-05-04."


class ParseError(ValueError):
    """A value that cannot be read; `message` is safe to show the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check_date_range(day: date) -> None:
    if not MIN_DATE <= day <= MAX_DATE:
        raise ParseError(f"Must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.")


def read_date(value: Any) -> date:
    """YYYY-MM-DD -> date, within MIN_DATE..MAX_DATE."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            maybe_day = parse_date(value.strip())
        except ValueError:  # well-formed but impossible, e.g. 2027-02-30
            raise ParseError(f"Not a real date. {DATE_FORMAT_HINT}") from None
        if maybe_day is None:
            raise ParseError(DATE_FORMAT_HINT)
        day = maybe_day
    else:
        raise ParseError(DATE_FORMAT_HINT)
    _check_date_range(day)
    return day


def read_datetime(value: Any) -> datetime:
    """ISO 8601 -> datetime, naive or aware as written; checks calendar, offset and range.

    The result is naive when the text has no offset (the caller decides the zone), else
    aware; aware results are safe to convert to UTC.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            maybe = parse_datetime(value.strip())
        except ValueError:  # well-formed but impossible: 2027-02-30, 25:00, offset +99:00
            raise ParseError(f"Not a real date and time. {INSTANT_FORMAT_HINT}") from None
        if maybe is None:
            raise ParseError(INSTANT_FORMAT_HINT)
        parsed = maybe
    else:
        raise ParseError(INSTANT_FORMAT_HINT)
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ParseError("The UTC offset must be between -14:00 and +14:00.")
    _check_date_range(parsed.date())
    if offset is not None:
        try:
            _check_date_range(parsed.astimezone(UTC).date())
        except OverflowError:
            raise ParseError(
                f"Must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."
            ) from None
    return parsed


def read_instant(value: Any) -> datetime:
    """ISO 8601 with an offset -> aware UTC datetime."""
    parsed = read_datetime(value)
    if parsed.utcoffset() is None:
        raise ParseError(f"Include a UTC offset. {INSTANT_FORMAT_HINT}")
    return parsed.astimezone(UTC)


def read_id(value: Any) -> int:
    """A database id: a positive integer that fits bigint (bool and 1.5 are refused)."""
    if isinstance(value, bool):
        raise ParseError("Must be an integer id.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        if len(value.strip()) > 19:
            raise ParseError(f"Must be between 1 and {MAX_ID}.")
        number = int(value.strip())
    else:
        raise ParseError("Must be an integer id.")
    if not 1 <= number <= MAX_ID:
        raise ParseError(f"Must be between 1 and {MAX_ID}.")
    return number


def field_error(field: str, exc: ParseError) -> serializers.ValidationError:
    return serializers.ValidationError({field: [exc.message]})


# --------------------------------------------------------------------------- DRF fields


@extend_schema_field({"type": "string", "format": "date-time"})
class InstantField(serializers.DateTimeField):
    """ISO 8601 datetime with an offset (required), returned in UTC; range-checked."""

    def to_internal_value(self, value: Any) -> datetime:
        try:
            return read_instant(value)
        except ParseError as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from None


class DayField(serializers.DateField):
    """YYYY-MM-DD within MIN_DATE..MAX_DATE."""

    def to_internal_value(self, value: Any) -> date:
        try:
            return read_date(value)
        except ParseError as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from None


class IdField(serializers.IntegerField):
    """A database id: 1..2^63-1."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


# --------------------------------------------------------------------------- query filters


class InstantFormField(forms.DateTimeField):
    """django-filter form field: ISO 8601 instant, offset optional (then UTC), range-checked."""

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        try:
            parsed = read_datetime(value)
        except ParseError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None
        if parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


class InstantFilter(filters.IsoDateTimeFilter):
    """Filter on an instant; an impossible date or an offset PostgreSQL refuses is a 400."""

    field_class = InstantFormField
