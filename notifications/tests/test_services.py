"""notifications.services: create (pushed live after commit), mark read, mark all read."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from notifications.models import Notification
from notifications.services import create_notification, mark_all_read, mark_read
from project.api_errors import NotFound
from realtime.testing import assert_no_event, connect_ws, receive_event

Kind = Notification.Kind


def _make(recipient, **fields) -> Notification:
    fields.setdefault("kind", Kind.CHAT_MESSAGE)
    fields.setdefault("title", "Hello")
    return create_notification(recipient=recipient, **fields)


@pytest.mark.django_db
def test_create_notification_stores_every_field(user):
    n = create_notification(
        recipient=user,
        kind=Kind.CONSULTATION_CONFIRMED,
        title="Confirmed",
        body="Tomorrow at 10:00",
        data={"consultation_id": 7},
        url="/consultations/7",
    )
    n.refresh_from_db()
    assert (n.recipient_id, n.kind, n.title, n.body) == (
        user.pk,
        "consultation.confirmed",
        "Confirmed",
        "Tomorrow at 10:00",
    )
    assert n.data == {"consultation_id": 7} and n.url == "/consultations/7"
    assert n.read_at is None and n.created_at is not None


@pytest.mark.django_db
def test_create_accepts_a_user_id(user):
    assert _make(user.pk).recipient_id == user.pk


@pytest.mark.django_db
def test_mark_read_sets_read_at_once(user):
    n = _make(user)
    first = mark_read(user=user, notification_id=n.pk).read_at
    assert first is not None
    again = mark_read(user=user, notification_id=n.pk).read_at
    assert again == first  # idempotent: a second click keeps the first time


@pytest.mark.django_db
def test_mark_read_of_someone_elses_notification_is_not_found(user, other_user):
    n = _make(other_user)
    with pytest.raises(NotFound):
        mark_read(user=user, notification_id=n.pk)
    n.refresh_from_db()
    assert n.read_at is None


@pytest.mark.django_db
def test_mark_all_read_touches_only_my_unread(user, other_user):
    mine = [_make(user) for _ in range(3)]
    already = _make(user)
    mark_read(user=user, notification_id=already.pk)
    theirs = _make(other_user)
    assert mark_all_read(user=user) == 3
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert mark_all_read(user=user) == 0


@pytest.mark.django_db(transaction=True)
async def test_notification_created_arrives_over_the_websocket(user, other_user):
    mine = await connect_ws(user)
    theirs = await connect_ws(other_user)

    @database_sync_to_async
    def create():
        with transaction.atomic():
            _make(user)  # an older one, so the unread count below is 2
            return _make(user, title="Booked", data={"consultation_id": 3}, url="/c/3")

    n = await create()
    await receive_event(mine, "notification.created")
    event = await receive_event(mine, "notification.created")
    assert event["data"]["id"] == n.pk
    assert event["data"]["title"] == "Booked"
    assert event["data"]["data"] == {"consultation_id": 3}
    assert event["data"]["url"] == "/c/3"
    assert event["data"]["is_read"] is False
    assert event["data"]["unread_count"] == 2
    await assert_no_event(theirs, "notification.created")
    await mine.disconnect()
    await theirs.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_rolled_back_notification_is_never_pushed(user):
    comm = await connect_ws(user)

    @database_sync_to_async
    def create_then_fail():
        try:
            with transaction.atomic():
                _make(user)
                raise RuntimeError("boom")
        except RuntimeError:
            pass

    await create_then_fail()
    await assert_no_event(comm, "notification.created", timeout=1.0)
    assert await database_sync_to_async(Notification.objects.count)() == 0
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_mark_all_read_tells_my_other_tabs(user):
    n = await database_sync_to_async(_make)(user)
    tab = await connect_ws(user)
    await database_sync_to_async(mark_all_read)(user=user)
    event = await receive_event(tab, "notification.read")
    assert event["data"] == {"ids": [n.pk], "unread_count": 0}
    await tab.disconnect()
