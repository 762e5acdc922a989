"""WebSocket auth: the browser session cookie, or `?token=<DRF token>` for API clients."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, User

# ASGI callables, as far as this middleware cares (channels ships no types).
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _user_for_token(key: str) -> User | None:
    from rest_framework.authtoken.models import Token

    try:
        token = Token.objects.select_related("user").get(key=key)
    except Token.DoesNotExist:
        return None
    return token.user if token.user.is_active else None


class TokenAuthMiddleware:
    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [None])[0]
        user = getattr(scope.get("user"), "is_authenticated", False) and scope["user"]
        if token and not user:
            found = await database_sync_to_async(_user_for_token)(token)
            scope = dict(scope, user=found or AnonymousUser())
        return await self.inner(scope, receive, send)


def TokenOrSessionAuthMiddlewareStack(inner: ASGIApp) -> ASGIApp:
    stack: ASGIApp = AuthMiddlewareStack(TokenAuthMiddleware(inner))
    return stack
