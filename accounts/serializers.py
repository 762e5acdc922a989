from __future__ import annotations

from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.selectors import user_roles


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, min_length=8, max_length=128)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    def validate(self, attrs):
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

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "name", "roles"]

    def get_name(self, obj: User) -> str:
        return obj.get_full_name() or obj.email or obj.username

    @extend_schema_field(RolesSerializer)
    def get_roles(self, obj: User) -> dict:
        return user_roles(obj)


class AuthResultSerializer(serializers.Serializer):
    user = MeSerializer()
    token = serializers.CharField()


class SessionSerializer(serializers.Serializer):
    authenticated = serializers.BooleanField()
    user = MeSerializer(allow_null=True)
