"""Chunked uploads through the real ASGI stack (as daphne delivers them)."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from rest_framework.authtoken.models import Token

from chat.tests.conftest import PNG_BYTES
from project.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

BOUNDARY = "b0und4ry"


def _multipart(client_id: str) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="client_id"\r\n\r\n'
            f"{client_id}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; "
            'name="attachment"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + PNG_BYTES
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


@database_sync_to_async
def _conversation_and_token(user) -> tuple[int, str]:
    from chat import services
    from consultations.tests.factories import make_expert

    conversation, _ = services.get_or_create_conversation(user=user, expert_id=make_expert().pk)
    return conversation.pk, Token.objects.get_or_create(user=user)[0].key


async def test_chunked_multipart_upload_is_read(user):
    conversation_id, token = await _conversation_and_token(user)
    comm = HttpCommunicator(
        application,
        "POST",
        f"/api/v1/consultations/chat/{conversation_id}/send/",
        body=_multipart("chunked-1"),
        headers=[
            (b"host", b"testserver"),
            (b"authorization", f"Token {token}".encode()),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"transfer-encoding", b"chunked"),
        ],
    )
    response = await comm.get_response(timeout=10)
    body = json.loads(response["body"])
    assert response["status"] == 201, body
    assert body["kind"] == "image" and body["attachment"]["size"] == len(PNG_BYTES)
