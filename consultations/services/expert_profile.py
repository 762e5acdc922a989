"""An expert editing their own public profile (any verification status).

Scheduling knobs (buffers, notice, daily limit, horizon) are edited through the
scheduling settings endpoint (services.availability); only the zone and the session
lengths are shared with it, because they are part of what the public profile shows.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction

from consultations.models import Expert
from consultations.services.scheduling import refresh_next_available_at
from consultations.services.timezones import get_zone
from consultations.services.verification.profile import (
    clean_list,
    expertise_rows,
    language_rows,
    normalise_language_code,
    validate_profile,
)
from project.api_errors import NotAllowed, ServiceError

# Quarter-hour multiples keep every length on the default 15/30-minute slot grids.
ALLOWED_SESSION_LENGTHS: tuple[int, ...] = tuple(range(15, 241, 15))
MAX_SESSION_LENGTHS = 6
MAX_LIST_ITEMS = 20
MAX_BIO_LENGTH = 5000

TEXT_FIELDS = ("name", "headline", "bio", "avatar_url")
PROFILE_FIELDS = (
    *TEXT_FIELDS,
    "hourly_rate",
    "currency",
    "timezone",
    "session_lengths",
    "expertise_areas",
    "languages",
)
# Changing these can move the expert's soonest free slot.
_SCHEDULE_FIELDS = ("timezone", "session_lengths")

_url_validator = URLValidator(schemes=["http", "https"])


def clean_session_lengths(lengths: list[Any]) -> list[int]:
    if not lengths:
        raise ServiceError("Give at least one session length.", field="session_lengths")
    if len(lengths) > MAX_SESSION_LENGTHS:
        raise ServiceError(
            f"Give at most {MAX_SESSION_LENGTHS} session lengths.", field="session_lengths"
        )
    if any(isinstance(m, bool) or not isinstance(m, int) for m in lengths):
        raise ServiceError("Session lengths are whole minutes.", field="session_lengths")
    if len(set(lengths)) != len(lengths):
        raise ServiceError("Give each session length only once.", field="session_lengths")
    bad = [m for m in lengths if m not in ALLOWED_SESSION_LENGTHS]
    if bad:
        raise ServiceError(
            f"{bad[0]} minutes is not offered; use multiples of 15 from "
            f"{ALLOWED_SESSION_LENGTHS[0]} to {ALLOWED_SESSION_LENGTHS[-1]}.",
            field="session_lengths",
        )
    return sorted(lengths)


def _decimal(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ServiceError("Give the hourly rate as a number.", field="hourly_rate") from exc
    if not amount.is_finite():
        raise ServiceError("Give the hourly rate as a number.", field="hourly_rate")
    return amount


def _max_length(field_name: str) -> int:
    max_length = getattr(Expert._meta.get_field(field_name), "max_length", None)
    assert isinstance(max_length, int), f"Expert.{field_name} has no max_length"
    return max_length


def _clean_text(changes: dict[str, Any]) -> dict[str, str]:
    cleaned = {f: str(changes[f]).strip() for f in TEXT_FIELDS if f in changes}
    limits = {
        "name": _max_length("name"),
        "headline": _max_length("headline"),
        "avatar_url": _max_length("avatar_url"),
        "bio": MAX_BIO_LENGTH,
    }
    for field, value in cleaned.items():
        if len(value) > limits[field]:
            raise ServiceError(f"At most {limits[field]} characters.", field=field)
    if "name" in cleaned and not cleaned["name"]:
        raise ServiceError("The name cannot be blank.", field="name")
    if cleaned.get("avatar_url"):
        try:
            _url_validator(cleaned["avatar_url"])
        except DjangoValidationError as exc:
            raise ServiceError("Give an http(s) URL.", field="avatar_url") from exc
    return cleaned


def _clean_changes(expert: Expert, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ServiceError(f"'{unknown[0]}' cannot be edited here.", field=unknown[0])
    cleaned: dict[str, Any] = _clean_text(changes)
    if "currency" in changes:
        cleaned["currency"] = str(changes["currency"]).strip().upper()
    if "hourly_rate" in changes:
        cleaned["hourly_rate"] = _decimal(changes["hourly_rate"])
    if "timezone" in changes:
        get_zone(changes["timezone"], field="timezone")
        cleaned["timezone"] = changes["timezone"]
    if "session_lengths" in changes:
        cleaned["session_lengths"] = clean_session_lengths(changes["session_lengths"])
    for field, normalise in (
        ("expertise_areas", str.strip),
        ("languages", normalise_language_code),
    ):
        if field in changes:
            cleaned[field] = clean_list(changes[field], normalise=normalise)
            if len(cleaned[field]) > MAX_LIST_ITEMS:
                raise ServiceError(f"Give at most {MAX_LIST_ITEMS}.", field=field)
    # One definition of a valid rate, currency, zone, area and language code: the
    # application's. Unchanged values are checked as stored.
    validate_profile(
        expertise_areas=cleaned.get("expertise_areas", []),
        languages=cleaned.get("languages", []),
        hourly_rate=cleaned.get("hourly_rate", expert.hourly_rate),
        currency=cleaned.get("currency", expert.currency),
        timezone_name=cleaned.get("timezone", expert.timezone),
    )
    return cleaned


def update_expert_profile(*, expert: Expert, actor: User, **changes: Any) -> Expert:
    """Apply a partial profile edit by the expert themselves; all or nothing."""
    if actor.pk != expert.user_id:
        raise NotAllowed("You can only edit your own expert profile.")
    cleaned = _clean_changes(expert, changes)
    areas = cleaned.pop("expertise_areas", None)
    langs = cleaned.pop("languages", None)
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        schedule_moved = any(
            f in cleaned and cleaned[f] != getattr(locked, f) for f in _SCHEDULE_FIELDS
        )
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*cleaned, "updated_at"])
        if areas is not None:
            locked.expertise_areas.set(expertise_rows(areas))
        if langs is not None:
            locked.languages.set(language_rows(langs))
        if schedule_moved:
            refresh_next_available_at(locked)
    return locked
