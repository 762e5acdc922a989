"""Schemathesis against our own OpenAPI schema, in-process through the WSGI app.

Every operation in /api/schema/ is called with generated input by four actors (through
gunicorn's request parser first, as production would: project/tests/wire.py): anonymous,
a client who has data (a consultation, a conversation with messages, a notification), the
expert of that consultation and conversation, and staff. Every answer must be a non-5xx
whose body matches the schema documented for its status code, and every 4xx must be the
project's JSON error shape. Bounded: a few examples per operation and actor, fixed seed
(FUZZ_EXAMPLES overrides; bench/bench_fuzz_api.py runs the long version).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from consultations.tests.factories import make_consultation, make_expert, make_user
from project.tests.fuzz_checks import suite_checks, wsgi_schema
from project.tests.wire import call_like_production

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
ACTORS = ("anon", "client", "expert", "staff")


@pytest.fixture
def api_schema(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with wsgi_schema() as schema:
        yield schema


@pytest.fixture
def actor_tokens(db) -> dict[str, str | None]:
    """Tokens of the four actors; the client and expert share a consultation and a chat."""
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
    staff = make_user(first_name="Staff", last_name="Fuzz", is_staff=True)
    return {
        "anon": None,
        "client": Token.objects.create(user=user).key,
        "expert": Token.objects.create(user=expert.user).key,
        "staff": Token.objects.create(user=staff).key,
    }


schema = schemathesis.from_pytest_fixture("api_schema")


def _fuzz_as(actor: str):
    @schema.parametrize()
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def test(case, actor_tokens):
        token = actor_tokens[actor]
        response = call_like_production(case, {"Authorization": f"Token {token}"} if token else {})
        case.validate_response(response, checks=suite_checks())

    return test


# One test per actor (schemathesis runs each operation as a subtest of these).
test_api_as_anonymous = _fuzz_as("anon")
test_api_as_client = _fuzz_as("client")
test_api_as_expert = _fuzz_as("expert")
test_api_as_staff = _fuzz_as("staff")
