"""Token keys -> users, for REST (accounts.authentication) and anything else that needs it."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import ApiToken, hash_key

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_for_key(key: str) -> tuple[User, object] | None:
    if key.startswith(ApiToken.PREFIX):
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token
    sign_in = Token.objects.select_related("user").filter(key=key).first()
    if sign_in is None:
        return None
    return sign_in.user, sign_in
