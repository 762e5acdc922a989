"""project/api_errors.py: every 4xx body's `error.fields` is {field: [message, ...]}."""

from __future__ import annotations

import pytest
from rest_framework import exceptions
from rest_framework.test import APIClient

from project.api_errors import exception_handler


def _body(detail):
    return exception_handler(exceptions.ValidationError(detail), {}).data


def test_flat_field_errors_are_kept_as_they_are():
    body = _body({"start_at": ["must be in the future"]})
    assert body["error"]["fields"] == {"start_at": ["must be in the future"]}
    assert body["error"]["message"] == "start_at: must be in the future"
    assert body["start_at"] == ["must be in the future"]


def test_nested_errors_become_messages_that_name_their_item():
    # A list field's item error arrives as {index: [messages]}; the schema wants strings.
    body = _body({"expertise_areas": {0: ["Null characters are not allowed."]}})
    assert body["error"]["fields"] == {"expertise_areas": ["0: Null characters are not allowed."]}
    assert all(isinstance(m, str) for msgs in body["error"]["fields"].values() for m in msgs)


def test_list_of_objects_skips_valid_items_and_names_the_bad_one():
    body = _body({"rules": [{}, {"start": ["Enter a valid time."]}]})
    assert body["error"]["fields"] == {"rules": ["1: start: Enter a valid time."]}


# --------------------------------------------------------------- unknown /api/ URLs


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/consultations/consultations/abc/",
        "/api/v1/consultations/chat/-1/",
        "/api/v1/consultations/experts/1.5/time-slots/",
        "/api/v1/nothing-here/",
        "/api/v1/consultations/chat/messages/%00/attachment/",
    ],
)
def test_unroutable_api_urls_are_json_404s(user, settings, debug, method, path):
    settings.DEBUG = debug
    client = APIClient()
    client.force_login(user)  # a session: POST must not turn into a CSRF 403 page
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "fields": {}},
        "detail": "Not found.",
    }


@pytest.mark.django_db
def test_non_api_paths_still_reach_the_single_page_app():
    response = APIClient().get("/consultations/abc/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_list_item_errors_are_flattened_to_the_documented_fields_shape():
    from consultations.tests.factories import make_expert

    client = APIClient()
    client.force_authenticate(make_expert().user)
    response = client.post(
        "/api/v1/consultations/experts/availability/update/",
        {
            "rules": [
                {"weekday": 0, "start_time": "09:00", "end_time": "10:00"},
                {"weekday": 9, "start_time": "25:00", "end_time": "10:00"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"rules"}
    assert sorted(m.split(": ")[1] for m in fields["rules"]) == ["start_time", "weekday"]
    assert all(isinstance(m, str) and m.startswith("1: ") for m in fields["rules"])
    # The message names the bad item's field, not the valid first item ("{}").
    assert response.json()["error"]["message"].startswith("rules: 1: weekday: ")
