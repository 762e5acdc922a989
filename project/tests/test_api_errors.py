"""project/api_errors.py: every 4xx body's `error.fields` is {field: [message, ...]}."""

from __future__ import annotations

from rest_framework import exceptions

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
