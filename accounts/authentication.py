"""REST authentication: a valid `Authorization: Token` wins over the session cookie.

DRF tries authenticators in order and the first that returns a user decides. With the
session first, an API client that keeps the login cookie and sends a token was treated as a
browser and refused for a missing CSRF token. A token cannot be sent by a cross-site form,
so a request that proves itself with one needs no CSRF check: the token class comes first
and, when an `Authorization: Token` header is present, it decides alone (a bad token is a
401, never a silent fall-back to the cookie). Requests without the header go on to the
session class, which keeps enforcing CSRF for browsers.

Two kinds of keys are accepted: the sign-in token returned by register/login (DRF's
`Token`) and personal API tokens (`accounts.ApiToken`, stored hashed, with last use).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DRFTokenAuthentication


class TokenAuthentication(DRFTokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[User, object]:
        from accounts.tokens import user_for_key

        found = user_for_key(key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user, token = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, token

    def authenticate_header(self, request) -> None:
        # Keep the API's answer to anonymous and bad-token requests a 403, as it was with
        # the session class first (a WWW-Authenticate header would turn them into 401s).
        return None
