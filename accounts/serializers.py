from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiToken, Profile
from accounts.selectors import display_prefs, profile_of, public_name, user_roles


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, min_length=8, max_length=128)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="IANA zone detected by the browser, e.g. America/New_York.",
    )
    time_format = serializers.ChoiceField(choices=Profile.TimeFormat.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = User(
            username=attrs["email"],
            email=attrs["email"],
            first_name=attrs.get("first_name", ""),
            last_name=attrs.get("last_name", ""),
        )
        try:
            password_validation.validate_password(attrs["password"], user)
        except DjangoValidationError as exc:  # -> a field error
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class LoginSerializer(serializers.Serializer):
    email = serializers.CharField()
    password = serializers.CharField(write_only=True)


class RolesSerializer(serializers.Serializer):
    """Schema of `user_roles()`, so generated client types know the keys."""

    is_expert = serializers.BooleanField()
    expert_id = serializers.IntegerField(allow_null=True)
    expert_status = serializers.CharField(allow_null=True)
    is_staff = serializers.BooleanField()


class MeSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    timezone = serializers.SerializerMethodField(
        help_text="The zone this person reads times in (chosen, else detected, else UTC)."
    )
    time_format = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField(
        help_text="Currency chosen for comparing prices; blank: follow the browser's locale."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "name",
            "roles",
            "timezone",
            "time_format",
            "currency",
        ]

    def get_name(self, obj: User) -> str:
        return public_name(obj)

    def get_timezone(self, obj: User) -> str:
        return display_prefs(obj).zone

    @extend_schema_field(serializers.ChoiceField(choices=Profile.TimeFormat.choices))
    def get_time_format(self, obj: User) -> str:
        return profile_of(obj).time_format

    def get_currency(self, obj: User) -> str:
        return profile_of(obj).currency

    @extend_schema_field(RolesSerializer)
    def get_roles(self, obj: User) -> dict:
        return user_roles(obj)


class AuthResultSerializer(serializers.Serializer):
    user = MeSerializer()
    token = serializers.CharField()


class SessionSerializer(serializers.Serializer):
    authenticated = serializers.BooleanField()
    user = MeSerializer(allow_null=True)


class ProfileSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    effective_timezone = serializers.SerializerMethodField(
        help_text="The zone times are shown in: `timezone`, else the expert's zone, else UTC."
    )

    class Meta:
        model = Profile
        fields = [
            "email",
            "display_name",
            "timezone",
            "effective_timezone",
            "time_format",
            "currency",
            "phone",
            "email_booking",
            "email_reminder",
            "email_chat",
        ]
        extra_kwargs = {
            "timezone": {"help_text": "IANA zone, e.g. Europe/Paris."},
            "currency": {
                "help_text": "ISO code prices are compared in (experts/currencies/); blank: "
                "the browser's locale decides."
            },
        }

    def get_effective_timezone(self, obj: Profile) -> str:
        return display_prefs(obj.user).zone


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(write_only=True)
    new_password = serializers.CharField(write_only=True, min_length=8, max_length=128)


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(write_only=True, min_length=8, max_length=128)


class EmailChangeSerializer(serializers.Serializer):
    new_email = serializers.EmailField()
    password = serializers.CharField(write_only=True)


class EmailConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TokenResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    token = serializers.CharField(help_text="A new sign-in token; every older one was revoked.")


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "key_prefix", "created_at", "last_used_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(help_text="Shown once; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields
