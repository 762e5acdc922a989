"""Expert profile normalisation: language codes, expertise names, rate, currency, zone.

Shared by applications (the proposed profile) and expert_profile (the live one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import available_timezones

from django.conf.locale import LANG_INFO
from django.utils.text import slugify

from consultations.models import (
    ExpertiseArea,
    Language,
)
from project.api_errors import ServiceError

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def normalise_language_code(code: str) -> str:
    return code.strip().replace("_", "-").lower()


def validate_profile(
    *,
    expertise_areas: list[str],
    languages: list[str],
    hourly_rate: Decimal,
    currency: str,
    timezone_name: str,
) -> None:
    """Service-level guard so callers other than the API serializer cannot store junk."""
    if timezone_name not in available_timezones():
        raise ServiceError(f"'{timezone_name}' is not a known IANA time zone.", field="timezone")
    if not _CURRENCY.match(currency):
        raise ServiceError("Use a three-letter ISO 4217 currency code.", field="currency")
    if hourly_rate < 0:
        raise ServiceError("The hourly rate cannot be negative.", field="hourly_rate")
    for name in expertise_areas:
        if not name.strip() or not slugify(name):
            raise ServiceError("Expertise areas must be non-empty names.", field="expertise_areas")
    for code in languages:
        if not _LANGUAGE_CODE.match(normalise_language_code(code)):
            raise ServiceError(
                f"'{code}' is not a language code like 'en' or 'pt-br'.", field="languages"
            )


def clean_list(values: list[str], *, normalise: Callable[[str], str] = str.strip) -> list[str]:
    """Normalised, blank-free, case-insensitively de-duplicated, order kept."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        cleaned = normalise(value)
        if cleaned and cleaned.lower() not in seen:
            seen.add(cleaned.lower())
            out.append(cleaned)
    return out


def language_rows(codes: list[str]) -> list[Language]:
    """Language rows for cleaned codes, created on first use (also used by expert_profile)."""
    rows = []
    for code in codes:
        # Some LANG_INFO entries are only fallbacks without a name.
        name = LANG_INFO.get(code, {}).get("name") or code
        rows.append(Language.objects.get_or_create(code=code, defaults={"name": name})[0])
    return rows


def expertise_rows(names: list[str]) -> list[ExpertiseArea]:
    """ExpertiseArea rows for cleaned names, matched by slug so "Tax law" == "tax-law"."""
    rows = []
    for name in names:
        slug = slugify(name)[:80]
        rows.append(ExpertiseArea.objects.get_or_create(slug=slug, defaults={"name": name[:80]})[0])
    return rows
