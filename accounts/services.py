from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.authtoken.models import Token

from project.api_errors import ServiceError


@transaction.atomic
def register_user(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    email = email.strip().lower()
    if User.objects.filter(username__iexact=email).exists():
        raise ServiceError(
            "An account with this email already exists.", field="email", code="duplicate"
        )
    user = User(username=email, email=email, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.save()
    return user


def issue_token(user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    key: str = token.key
    return key
