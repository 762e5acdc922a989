"""Who a socket belongs to: the session cookie, else `?token=`; nothing else is let in."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token

from project.asgi import application
from realtime.testing import connect_ws

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def _session_cookie(user, *, hash_ok: bool = True) -> bytes:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash() if hash_ok else "stale"
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


async def _open(path: str, cookie: bytes | None = None) -> tuple[WebsocketCommunicator, dict]:
    headers = [(b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    return comm, await comm.receive_output(timeout=5)


def _ready_user(frame: dict) -> int:
    return json.loads(frame["text"])["data"]["user_id"]


async def test_session_cookie_opens_the_users_socket(user):
    comm, first = await _open("/ws/", await _session_cookie(user))
    assert first["type"] == "websocket.send"
    assert json.loads(first["text"])["type"] == "session.ready"
    assert _ready_user(first) == user.id
    await comm.disconnect()


async def test_session_wins_over_a_token_of_someone_else(user, other_user):
    token = await database_sync_to_async(lambda: Token.objects.create(user=other_user).key)()
    comm, first = await _open(f"/ws/?token={token}", await _session_cookie(user))
    assert _ready_user(first) == user.id
    await comm.disconnect()


async def test_a_session_whose_password_changed_falls_back_to_the_token(user, other_user):
    token = await database_sync_to_async(lambda: Token.objects.create(user=other_user).key)()
    cookie = await _session_cookie(user, hash_ok=False)
    comm, first = await _open(f"/ws/?token={token}", cookie)
    assert _ready_user(first) == other_user.id
    await comm.disconnect()
    comm, out = await _open("/ws/", cookie)
    assert out == {"type": "websocket.close", "code": 4401}


async def test_token_of_an_inactive_user_is_refused(make_user):
    sleeper = await database_sync_to_async(make_user)(is_active=False)
    token = await database_sync_to_async(lambda: Token.objects.create(user=sleeper).key)()
    comm = await connect_ws(None, token=token)
    out = await comm.receive_output(timeout=5)
    assert out == {"type": "websocket.close", "code": 4401}


async def test_no_credentials_is_decided_without_the_database(monkeypatch):
    from realtime import auth

    def must_not_run(*args):
        raise AssertionError("looked up a user for a socket without credentials")

    monkeypatch.setattr(auth, "_resolve", must_not_run)
    comm = await connect_ws(None)
    out = await comm.receive_output(timeout=5)
    assert out == {"type": "websocket.close", "code": 4401}
