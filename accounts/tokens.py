"""Token keys -> users, for REST (accounts.authentication) and anything else that needs it."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import ApiToken, hash_key
from project.compiled import CompiledRead

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The user's profile comes with the token (one join): most API requests read its zone and
# clock (display_prefs), which would otherwise be a second query. A key matches one row,
# so a slice, not .first(): no ORDER BY to compile on every request.
_WITH_USER = ("user", "user__profile")
# Compiled once per process (project/compiled.py): compiling this three-table read on every
# request cost more CPU than running it.
_API_TOKEN = CompiledRead(
    lambda key_hash: ApiToken.objects.select_related(*_WITH_USER).filter(key_hash=key_hash)
)
_SIGN_IN_TOKEN = CompiledRead(lambda key: Token.objects.select_related(*_WITH_USER).filter(key=key))


def user_for_key(key: str) -> tuple[User, object] | None:
    if key.startswith(ApiToken.PREFIX):
        token = _API_TOKEN.first(hash_key(key))
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token
    sign_in = _SIGN_IN_TOKEN.first(key)
    if sign_in is None:
        return None
    return sign_in.user, sign_in
