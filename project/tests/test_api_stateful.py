"""Schemathesis follows the schema's OpenAPI links (project/api_schema.API_LINKS).

The state machine only calls operations that start or continue a link, and a link's target
only with an id from its source's response: book -> get / cancel / reschedule that
consultation; open a conversation -> send in it -> edit / delete that message; availability
block -> delete it; apply -> upload a document -> download it. Each response is checked like
in test_api_fuzz (status, content type, schema, error shape), through gunicorn's parser
(project/tests/wire.py). Bodies whose valid values depend on the data (a free slot, a real
image, the expert's id) are filled in before the call, so the chains get past their first
step; everything else is generated. Bounded: a few short runs per actor, fixed seed.
"""

from __future__ import annotations

import io
import itertools
import os
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.specs.openapi.expressions import ExpressionContext
from schemathesis.specs.openapi.links import get_all_links

from chat.tests.conftest import PNG_BYTES
from consultations.tests.factories import add_weekly_hours, make_expert, make_user
from project.tests.fuzz_checks import suite_checks, wsgi_schema
from project.tests.wire import call_like_production

MAX_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "4"))


@pytest.fixture
def api_schema(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # After `world`: its test-client request reconnects the signals wsgi_schema turns off.
    with wsgi_schema() as schema:
        yield schema


@pytest.fixture
def world(db):
    """A client with a bookable expert (free slots listed by the API), and that expert."""
    client = make_user(first_name="Stateful", last_name="Client")
    expert = add_weekly_hours(make_expert(), weekday=(timezone.now() + timedelta(days=3)).weekday())
    day = (timezone.now() + timedelta(days=3)).date()
    api = APIClient()
    api.force_authenticate(client)
    slots = api.get(
        f"/api/v1/consultations/experts/{expert.pk}/time-slots/", {"date": day.isoformat()}
    ).json()
    starts = [s["start"] for s in slots["slots"]]
    assert len(starts) >= 2, slots
    return {
        "expert": expert,
        "duration": slots["duration_minutes"],
        "starts": itertools.cycle(starts),  # each booking or move takes the next free slot
        "tokens": {
            "client": Token.objects.create(user=client).key,
            "expert": Token.objects.create(user=expert.user).key,
        },
    }


def _filled(case, world) -> None:
    """Valid values where only the data can make them valid (see the module docstring)."""
    # The generated session cookie is often refused by the server (control bytes); the
    # plain fuzz covers that, here the token authenticates.
    case.cookies = None
    op = case.operation.definition.raw.get("operationId")
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return
    if op == "v1_consultations_consultations_book_create":
        body.update(
            expert_id=world["expert"].pk,
            start_at=next(world["starts"]),
            duration_minutes=world["duration"],
        )
        body.pop("end_at", None), body.pop("timezone", None)
    elif op == "v1_consultations_consultations_reschedule_create":
        body.update(start_at=next(world["starts"]))
        body.pop("timezone", None)
    elif op == "chat_conversation_get_or_create":
        body.update(expert_id=world["expert"].pk)
        body.pop("consultation_id", None)
    elif op == "chat_message_send":
        body.update(text="hello", client_id=f"stateful-{id(case)}")
        body.pop("attachment", None), body.pop("reply_to", None)
    elif op == "v1_consultations_experts_availability_blocks_create":
        start = timezone.now().replace(microsecond=0) + timedelta(days=20)
        body.update(start_at=start.isoformat(), end_at=(start + timedelta(hours=1)).isoformat())
    elif op == "v1_consultations_experts_apply_create":
        body.update(motivation="m", expertise="e", experience="x", languages=[], currency="USD")
        body.pop("hourly_rate", None), body.pop("expertise_areas", None)
    elif op == "chat_message_edit":
        body.update(text="edited")
    elif op == "v1_consultations_experts_upload_document_create":
        # A (stream, name) pair is what the WSGI client sends as a file part.
        body.update(file=(io.BytesIO(PNG_BYTES), "scan.png"), document_type="certificate")


# Where each actor's chains start (a client cannot block an expert's time, and so on).
ROOTS = {
    "client": [
        ("POST", "/api/v1/consultations/consultations/book/"),
        ("POST", "/api/v1/consultations/chat/"),
        ("POST", "/api/v1/consultations/experts/apply/"),
    ],
    "expert": [("POST", "/api/v1/consultations/experts/availability/blocks/")],
}
CHECKS = suite_checks()


def _walk(case, world, token, draw, seen, depth: int = 0) -> None:
    """Call `case`, check the answer, then follow every link its status code offers."""
    _filled(case, world)
    response = call_like_production(case, {"Authorization": f"Token {token}"})
    case.validate_response(response, checks=CHECKS)
    seen[(case.operation.definition.raw["operationId"], response.status_code)] += 1
    if depth >= 3:
        return
    for status, link in get_all_links(case.operation):
        if status != str(response.status_code):
            continue
        # The target's other inputs are generated; the link sets the id from this response.
        next_case = draw(link.get_target_operation().as_strategy())
        link.set_data(
            next_case, elapsed=0.0, context=ExpressionContext(case=case, response=response)
        )
        _walk(next_case, world, token, draw, seen, depth + 1)


def _run(schema, world, actor: str) -> Counter[tuple[str, int]]:
    seen: Counter[tuple[str, int]] = Counter()
    token = world["tokens"][actor]

    @given(data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def chains(data):
        for method, path in ROOTS[actor]:
            root = data.draw(schema[path][method].as_strategy())
            _walk(root, world, token, data.draw, seen)

    chains()
    return seen


def _followed(seen: Counter[tuple[str, int]], op: str) -> bool:
    return any(o == op and 200 <= status < 300 for o, status in seen)


def test_links_are_followed_as_the_client(api_schema, world):
    seen = _run(api_schema, world, "client")
    # Each chain got past its first step and its links were followed with the real ids.
    for op in (
        "v1_consultations_consultations_book_create",
        "v1_consultations_consultations_retrieve",
        "v1_consultations_consultations_reschedule_create",
        "v1_consultations_consultations_cancel_create",
        "chat_conversation_get_or_create",
        "chat_message_send",
        "chat_message_edit",
        "chat_message_delete",
        "v1_consultations_experts_apply_create",
        "v1_consultations_experts_upload_document_create",
        "v1_consultations_experts_documents_file_retrieve",
    ):
        assert _followed(seen, op), (op, seen)


def test_links_are_followed_as_the_expert(api_schema, world):
    seen = _run(api_schema, world, "expert")
    assert _followed(seen, "v1_consultations_experts_availability_blocks_create"), seen
    assert _followed(seen, "v1_consultations_experts_availability_blocks_destroy"), seen
