"""The signed-in user of a request, with its real type.

`request.user` is typed `User | AnonymousUser`. Views that require authentication (the
default permission class) call `request_user(request)` so the type checker knows the user
is a real `User`; an anonymous request never gets that far, and if it did it would get the
usual 401/403 rather than run as nobody.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request


def request_user(request: HttpRequest | Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
