"""The /ws/ endpoint: auth, origin check, and after-commit delivery over channels-redis."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction

from realtime.catalogue import NOTIFICATION_READ
from realtime.events import publish_to_user
from realtime.testing import assert_no_event, connect_ws, receive_event

pytestmark = [pytest.mark.django_db(transaction=True)]

READ_DATA = {"ids": [4, 5], "unread_count": 2}


def test_tests_use_the_redis_channel_layer():
    # The production choice (pub/sub; CHANNEL_LAYER=core for the list-based layer).
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] in {
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "channels_redis.core.RedisChannelLayer",
    }


async def test_authenticated_user_receives_event_published_after_commit(user, other_user):
    comm = await connect_ws(user)
    other = await connect_ws(other_user)
    assert comm.connected

    @database_sync_to_async
    def publish():
        with transaction.atomic():
            publish_to_user(user.id, NOTIFICATION_READ, {"ids": [1], "unread_count": 0})

    await publish()
    event = await receive_event(comm, NOTIFICATION_READ)
    assert event["data"] == {"ids": [1], "unread_count": 0}
    assert event["v"] == 1 and event["id"] and event["ts"]
    await assert_no_event(other, NOTIFICATION_READ)  # only the addressed user hears it
    await comm.disconnect()
    await other.disconnect()


async def test_every_open_tab_of_the_user_receives_the_event(user):
    tab1 = await connect_ws(user)
    tab2 = await connect_ws(user)
    await database_sync_to_async(publish_to_user)(user.id, NOTIFICATION_READ, READ_DATA)
    assert (await receive_event(tab1, NOTIFICATION_READ))["data"] == READ_DATA
    assert (await receive_event(tab2, NOTIFICATION_READ))["data"] == READ_DATA
    await tab1.disconnect()
    await tab2.disconnect()


async def test_event_in_rolled_back_transaction_is_never_delivered(user):
    comm = await connect_ws(user)

    @database_sync_to_async
    def publish_then_fail():
        try:
            with transaction.atomic():
                publish_to_user(user.id, NOTIFICATION_READ, READ_DATA)
                raise RuntimeError("boom")
        except RuntimeError:
            pass

    await publish_then_fail()
    await assert_no_event(comm, NOTIFICATION_READ, timeout=1.0)
    await comm.disconnect()


async def test_anonymous_connection_is_closed_with_4401():
    comm = await connect_ws(None)
    assert comm.connected  # accepted only to deliver the close code
    out = await comm.receive_output(timeout=5)
    assert out == {"type": "websocket.close", "code": 4401}


async def test_bad_token_is_closed_with_4401():
    comm = await connect_ws(None, token="not-a-real-token")
    out = await comm.receive_output(timeout=5)
    assert out["code"] == 4401


async def test_bad_origin_is_refused(user):
    comm = await connect_ws(user, origin=b"http://evil.example.com")
    assert not comm.connected


async def test_ping_and_unknown_type(user):
    comm = await connect_ws(user)
    await comm.send_json_to({"type": "ping", "request_id": "r1"})
    pong = await receive_event(comm, "pong")
    assert pong["data"]["request_id"] == "r1"
    await comm.send_json_to({"type": "nope.nothing", "request_id": "r2"})
    err = await receive_event(comm, "error")
    assert err["data"]["code"] == "unknown_type" and err["data"]["request_id"] == "r2"
    await comm.disconnect()


async def test_presence_counts_open_sockets(user):
    from realtime.presence import is_online

    online = database_sync_to_async(is_online)
    assert not await online(user.id)
    tab1 = await connect_ws(user)
    tab2 = await connect_ws(user)
    assert await online(user.id)
    await tab1.disconnect()
    assert await online(user.id)  # one tab still open
    await tab2.disconnect()
    assert not await online(user.id)


async def test_a_user_past_the_socket_cap_is_closed_with_4429_until_a_tab_closes(user, settings):
    from rest_framework.authtoken.models import Token

    from realtime.presence import is_online

    settings.WS_MAX_SOCKETS_PER_USER = 2
    token = await database_sync_to_async(lambda: Token.objects.get_or_create(user=user)[0].key)()
    tab1 = await connect_ws(user)
    tab2 = await connect_ws(user)
    extra = await connect_ws(None, token=token)  # the user's third socket
    assert await extra.receive_output(timeout=5) == {"type": "websocket.close", "code": 4429}
    await tab1.disconnect()
    assert await database_sync_to_async(is_online)(user.id)  # the refusal took nothing away
    tab3 = await connect_ws(user)  # room again: greeted with session.ready
    await tab3.send_json_to({"type": "ping", "request_id": "in"})
    assert (await tab3.receive_json_from(timeout=5))["type"] == "pong"
    await tab2.disconnect()
    await tab3.disconnect()
