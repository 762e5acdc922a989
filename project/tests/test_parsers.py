"""REST bodies go through project.parsers.JSONParser: deep or invalid JSON is a 400, not 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def _post(client: APIClient, path: str, body: str):
    return client.generic("POST", path, body, content_type="application/json")


@pytest.mark.parametrize(
    "body",
    ["[" * 2000, "[" * 2000 + "]" * 2000, '{"email": ' + "[" * 40 + "]" * 40 + "}", "NaN", "{"],
)
def test_anonymous_login_with_hostile_json_is_a_400_in_the_error_shape(body):
    response = _post(APIClient(), LOGIN, body)
    assert response.status_code == 400
    data = response.json()
    assert data["error"]["code"] == "parse_error"
    assert data["error"]["message"].startswith("JSON parse error")
    assert data["detail"] == data["error"]["message"]


def test_depth_limit_applies_to_views_with_their_own_parsers():
    from consultations.tests.factories import make_expert

    client = APIClient()
    client.force_authenticate(make_expert().user)
    deep = '{"text": ' + "[" * 2000 + "}"
    for path in ("/api/v1/consultations/chat/1/send/", "/api/v1/consultations/experts/me/"):
        method = "PATCH" if path.endswith("me/") else "POST"
        response = client.generic(method, path, deep, content_type="application/json")
        assert response.status_code == 400, path
        assert response.json()["error"]["code"] == "parse_error"


def test_documents_within_the_limit_still_parse():
    body = '{"email": "a@b.c", "password": "x", "extra": ' + "[" * 30 + "]" * 30 + "}"
    response = _post(APIClient(), LOGIN, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_body_that_is_not_utf8_is_a_400():
    response = APIClient().generic(
        "POST", LOGIN, b'{"email": "\xff\xfe"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
