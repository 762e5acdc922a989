"""Schemathesis against our own OpenAPI schema, in-process through the WSGI app.

Every operation in /api/schema/ is called with generated input by a signed-in normal user
who has data (a consultation, a conversation with messages, a notification), and every
answer must be a non-5xx whose body matches the schema documented for its status code.
Bounded: a few examples per operation, fixed seed, so the whole run takes seconds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from consultations.tests.factories import make_consultation, make_expert, make_user

MAX_EXAMPLES = 6


@pytest.fixture
def api_schema(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from project.wsgi import application

    # As Django's test Client does: the real WSGI handler would close the test's
    # connection (and its open transaction) at the end of every request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(db) -> str:
    """A normal user with data in every area, and their API token."""
    from chat import services as chat_services
    from notifications.models import Notification

    user = make_user(first_name="Fuzz", last_name="User")
    expert = make_expert()
    make_consultation(user=user, expert=expert, start_at=timezone.now() + timedelta(days=2))
    conversation, _ = chat_services.get_or_create_conversation(user=user, expert_id=expert.pk)
    chat_services.send_message(
        sender=user, conversation_id=conversation.pk, text="hi", client_id="fuzz-1"
    )
    Notification.objects.create(recipient=user, kind=Notification.Kind.values[0], title="Welcome")
    return Token.objects.create(user=user).key


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, fuzz_token):
    response = case.call_wsgi(headers={"Authorization": f"Token {fuzz_token}"})
    case.validate_response(
        response,
        checks=(not_a_server_error, content_type_conformance, response_schema_conformance),
    )
