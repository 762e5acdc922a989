"""The expert's own profile: what they see and what they may edit."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from consultations.models import Expert
from consultations.serializers.experts import ExpertListSerializer
from consultations.serializers.scheduling import TimeZoneField
from consultations.services.expert_profile import (
    ALLOWED_SESSION_LENGTHS,
    MAX_BIO_LENGTH,
    MAX_LIST_ITEMS,
    MAX_SESSION_LENGTHS,
    clean_session_lengths,
)
from project.api_errors import ServiceError


def _flat_errors(detail: Any) -> Any:
    """{"languages": {0: ["msg"]}} -> {"languages": ["Item 1: msg"]}.

    Keeps every field's errors a list of strings, as the documented error schema says.
    """
    if not isinstance(detail, dict):
        return detail
    flat: dict[str, list[str]] = {}
    for field, errors in detail.items():
        if isinstance(errors, dict):
            flat[field] = [
                f"Item {int(i) + 1}: {msg}" for i, msgs in errors.items() for msg in msgs
            ]
        else:
            flat[field] = [str(e) for e in errors]
    return flat


class ExpertProfileSerializer(ExpertListSerializer):
    """The public profile's fields plus what only the expert sees."""

    has_photo = serializers.SerializerMethodField(
        help_text="Whether a photo was uploaded (avatar_url may also be a linked picture)."
    )

    def get_has_photo(self, obj: Expert) -> bool:
        return bool(obj.photo_key)

    class Meta(ExpertListSerializer.Meta):
        fields = [
            *ExpertListSerializer.Meta.fields,
            "bio",
            "has_photo",
            "verification_status",
            "verified_at",
            "updated_at",
        ]
        read_only_fields = fields


class ExpertPhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(
        help_text="PNG, JPEG or WebP, checked by content; cropped to a square and re-encoded."
    )


class ExpertProfileUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    headline = serializers.CharField(max_length=200, allow_blank=True)
    bio = serializers.CharField(max_length=MAX_BIO_LENGTH, allow_blank=True)
    avatar_url = serializers.URLField(
        max_length=200, allow_blank=True, allow_null=True, help_text="Blank or null removes it."
    )
    hourly_rate = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        help_text="ISO 4217 code, e.g. EUR.",
        error_messages={"invalid": "Use a three-letter ISO 4217 code such as USD."},
    )
    timezone = TimeZoneField()
    session_lengths = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=MAX_SESSION_LENGTHS,
        help_text=(
            "Bookable lengths in minutes, each once, from "
            f"{', '.join(str(m) for m in ALLOWED_SESSION_LENGTHS)}."
        ),
    )
    expertise_areas = serializers.ListField(
        child=serializers.CharField(max_length=80),
        max_length=MAX_LIST_ITEMS,
        help_text="Names; replaces the current list.",
    )
    languages = serializers.ListField(
        child=serializers.RegexField(
            r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
            max_length=12,
            error_messages={"invalid": "Use a language code like 'en' or 'pt-BR'."},
        ),
        max_length=MAX_LIST_ITEMS,
        help_text="Language codes; replaces the current list.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # A key we would silently drop (e.g. a scheduling knob) is refused instead, so
        # the client never believes a change was saved. Read-only profile keys are let
        # through so a client can send back what it fetched.
        if isinstance(data, dict):
            known = set(self.fields) | set(ExpertProfileSerializer.Meta.fields)
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {
                        unknown[0]: [
                            "Not editable here; scheduling settings are edited at "
                            "experts/availability/settings/."
                        ]
                    }
                )
        try:
            validated: dict[str, Any] = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(_flat_errors(exc.detail)) from exc
        return validated

    def validate_session_lengths(self, value: list[int]) -> list[int]:
        try:
            return clean_session_lengths(value)
        except ServiceError as exc:
            raise serializers.ValidationError(exc.message) from exc

    def validate_avatar_url(self, value: str | None) -> str:
        return value or ""

    def validate_currency(self, value: str) -> str:
        return value.upper()
