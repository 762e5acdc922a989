"""WebSocket auth: the browser session cookie, or `?token=<DRF token>` for API clients.

The session user wins when both are present (as before). Each handshake costs at most one
lookup per credential, run on the socket action threads (realtime/executor.py) rather than
Channels' one DB thread per process: with Channels' `AuthMiddlewareStack` every connect
queued three hops on that thread (session user, token, presence), so a connect storm ran
at the speed of one thread and the presence heartbeats of thousands of open sockets
queued in front of it (issue 12: 10,000 idle sockets connected at ~45/s). A socket
without a session cookie or a token is anonymous without touching the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from channels.sessions import CookieMiddleware, InstanceSessionWrapper, SessionMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User

from realtime.executor import ensure_executor, in_action_thread

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


def _user_for_session(session: Any) -> Any:
    """Django's own session → user resolution (backend, session hash check)."""
    from django.contrib.auth import get_user

    return get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]


def _resolve(session: Any, token: str | None) -> Any:
    user: Any = None
    if session is not None:
        user = _user_for_session(session)
    if token and not getattr(user, "is_authenticated", False):
        user = _user_for_token(token)
    return user or AnonymousUser()


class SocketAuthMiddleware:
    """Sets scope["user"] from the session (if its cookie came) or the token (if given)."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [None])[0]
        has_session = settings.SESSION_COOKIE_NAME in scope.get("cookies", {})
        if has_session or token:
            ensure_executor()
            session = scope.get("session") if has_session else None
            user = await in_action_thread(_resolve)(session, token)
        else:
            user = AnonymousUser()
        return await self.inner(dict(scope, user=user), receive, send)


class SocketSessionMiddleware(SessionMiddleware):  # type: ignore[misc]  # channels is untyped
    """Channels' SessionMiddleware without its per-frame cost on sockets.

    Channels wraps `send` to save the session and set its cookie, which it does only on
    `http.response.start`; a WebSocket never sends one, yet the wrapper read the lazy
    session's `modified` and `is_empty()` on every frame (about 3 % of a socket process's
    CPU per chat message, py-spy). Sockets get the session in their scope as before and
    the server's own `send`.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "websocket":
            await super().__call__(scope, receive, send)
            return
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        await self.inner(wrapper.scope, receive, send)


def TokenOrSessionAuthMiddlewareStack(inner: ASGIApp) -> ASGIApp:
    stack: ASGIApp = CookieMiddleware(SocketSessionMiddleware(SocketAuthMiddleware(inner)))
    return stack
