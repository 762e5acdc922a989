"""Socket-frame fuzzer: whatever a client sends, the socket answers and stays open.

Hypothesis generates batches of frames (binary, arbitrary text, JSON of any shape, deep
nesting, and well-typed envelopes for every registered action with hostile `data`), sends
them on one authenticated socket through the full ASGI stack (Channels'
WebsocketCommunicator), then a ping. Every batch must end in the pong with the socket open
and no `server_error` event: no frame may crash the consumer or a handler.
"""

from __future__ import annotations

import json
import os

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chat.socket_handlers  # noqa: F401  (registers the chat actions)
from realtime import handlers
from realtime.presence import is_online
from realtime.testing import connect_ws

pytestmark = [pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("FUZZ_SOCKET_EXAMPLES", "12"))

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "conversation_id",
    "text",
    "client_id",
    "reply_to",
    "message_id",
    "seq",
    "cursors",
    "is_typing",
    "rev",
]
hostile_data = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5) | json_values


def _envelopes():
    known = [*sorted(handlers._HANDLERS), "ping", "chat.nope", ""]
    types = st.sampled_from(known) | st.text(max_size=12)
    return st.fixed_dictionaries(
        {"type": types},
        optional={"request_id": json_values, "data": hostile_data},
    ).map(lambda d: {"text_data": json.dumps(d)})


frames = st.one_of(
    st.binary(min_size=1, max_size=64).map(lambda b: {"bytes_data": b}),
    st.text(min_size=1, max_size=64).map(lambda t: {"text_data": t}),
    json_values.map(lambda v: {"text_data": json.dumps(v)}),
    st.integers(min_value=30, max_value=3000).map(lambda n: {"text_data": "[" * n + "]" * n}),
    st.integers(min_value=1, max_value=3000).map(
        lambda n: {"text_data": '{"type": "ping", "data": ' + "[" * n}
    ),
    _envelopes(),
    _envelopes(),
)


@pytest.fixture
def fuzz_user(db):
    from chat import services
    from consultations.tests.factories import make_expert, make_user

    user = make_user()
    services.get_or_create_conversation(user=user, expert_id=make_expert().pk)
    return user


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(batch=st.lists(frames, min_size=1, max_size=8))
async def test_no_frame_crashes_the_socket(fuzz_user, batch):
    comm = await connect_ws(fuzz_user)
    try:
        for frame in batch:
            if frame.get("text_data", "x") and frame.get("bytes_data", b"x"):
                await comm.send_to(**frame)
        await comm.send_json_to({"type": "ping", "request_id": "fuzz-end"})
        while True:
            out = await comm.receive_output(timeout=10)
            assert out["type"] == "websocket.send", f"socket closed: {out}"
            event = json.loads(out["text"])
            if event["type"] == "error":
                assert event["data"]["code"] != "server_error", event
                assert event["data"]["message"]
            if event["type"] == "pong" and event["data"].get("request_id") == "fuzz-end":
                break
    finally:
        await comm.disconnect()
    assert not await database_sync_to_async(is_online)(fuzz_user.id)  # cleanup ran
