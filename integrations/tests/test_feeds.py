"""The per-user calendar subscription feed: content, SEQUENCE, conditional GET, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils.http import http_date
from icalendar import Calendar

from consultations.models import Consultation
from consultations.services import booking
from consultations.tests.factories import make_consultation, make_expert, make_user
from consultations.tests.scheduling_helpers import utc
from integrations.models import AuditEntry, CalendarFeedToken
from integrations.services import feeds
from notifications.calendar import invite_uid

pytestmark = pytest.mark.django_db

FEED = "/api/v1/integrations/calendar-feed/"
ICS = "/api/v1/integrations/calendar.ics"


def events(body: bytes) -> dict[str, dict]:
    cal = Calendar.from_ical(body)
    return {
        str(e["uid"]): {
            "sequence": int(e["sequence"]),
            "status": str(e["status"]),
            "start": e.decoded("dtstart"),
            "description": str(e["description"]),
            "dtstart_raw": e["dtstart"].to_ical().decode(),
        }
        for e in cal.walk("VEVENT")
    }


@pytest.fixture
def people():
    client = make_user(first_name="Cleo", last_name="Client")
    expert = make_expert(timezone="Europe/Paris")
    return client, expert


def fetch(api_client, token: str, **headers):
    return api_client.get(ICS, {"token": token}, **headers)


def test_the_feed_lists_every_consultation_of_both_sides(people, api_client):
    client, expert = people
    confirmed = make_consultation(user=client, expert=expert, start_at=utc(2026, 12, 3, 9))
    pending = make_consultation(
        user=client, expert=expert, start_at=utc(2026, 12, 4, 9), status="pending"
    )
    cancelled = make_consultation(
        user=client, expert=expert, start_at=utc(2026, 12, 5, 9), status="cancelled"
    )
    make_consultation(start_at=utc(2026, 12, 6, 9))  # someone else's

    for person in (client, expert.user):
        r = fetch(api_client, feeds.get_or_create_feed(person).token)
        assert r.status_code == 200
        assert r["Content-Type"].startswith("text/calendar")
        found = events(r.content)
        assert set(found) == {invite_uid(c) for c in (confirmed, pending, cancelled)}
        cal = Calendar.from_ical(r.content)
        assert str(cal["x-wr-timezone"]) == "Europe/Paris"
        assert "METHOD" not in cal  # a subscription, not an iTIP message

    assert found[invite_uid(confirmed)]["status"] == "CONFIRMED"
    assert found[invite_uid(pending)]["status"] == "TENTATIVE"
    assert found[invite_uid(cancelled)]["status"] == "CANCELLED"
    # UTC times, the "Z" form.
    assert found[invite_uid(confirmed)]["dtstart_raw"] == "20261203T090000Z"
    # The join link only once confirmed.
    assert "Join the video call" in found[invite_uid(confirmed)]["description"]
    assert "Join the video call" not in found[invite_uid(pending)]["description"]


def test_sequence_is_bumped_on_each_change_and_uids_stay(people, api_client):
    client, expert = people
    c = make_consultation(
        user=client, expert=expert, start_at=utc(2026, 12, 3, 9), status="pending"
    )
    token = feeds.get_or_create_feed(client).token
    first = events(fetch(api_client, token).content)[invite_uid(c)]
    again = events(fetch(api_client, token).content)[invite_uid(c)]
    assert first["sequence"] == again["sequence"] == 0

    Consultation.objects.filter(pk=c.pk).update(status="confirmed")
    confirmed = events(fetch(api_client, token).content)[invite_uid(c)]
    assert (confirmed["sequence"], confirmed["status"]) == (1, "CONFIRMED")
    assert "Join the video call" in confirmed["description"]

    Consultation.objects.filter(pk=c.pk).update(payment_status="refunded")  # not shown
    assert events(fetch(api_client, token).content)[invite_uid(c)]["sequence"] == 1

    Consultation.objects.filter(pk=c.pk).update(status="cancelled")
    cancelled = events(fetch(api_client, token).content)[invite_uid(c)]
    assert (cancelled["sequence"], cancelled["status"]) == (2, "CANCELLED")


def test_reschedule_cancels_the_old_uid_and_adds_a_new_one(people, api_client):
    from consultations.tests.scheduling_helpers import every_day, set_rules

    client, expert = people
    set_rules(expert, every_day("00:00", "24:00"))
    expert.session_lengths = [60]
    expert.min_notice_minutes = 0
    expert.save()
    with time_machine.travel(utc(2026, 12, 1, 8), tick=False):
        old = booking.book_consultation(
            user=client,
            expert_id=expert.pk,
            start_at=utc(2026, 12, 3, 9),
            duration_minutes=60,
            topic="Tax",
        )
        token = feeds.get_or_create_feed(client).token
        fetch(api_client, token)
        new = booking.reschedule_consultation(
            consultation_id=old.pk, actor=client, start_at=utc(2026, 12, 4, 9)
        )
        found = events(fetch(api_client, token).content)
    assert found[invite_uid(old)]["status"] == "CANCELLED"
    assert found[invite_uid(old)]["sequence"] == 1
    assert found[invite_uid(new)]["start"] == utc(2026, 12, 4, 9)


def test_etag_and_last_modified_give_304_until_something_changes(people, api_client):
    client, expert = people
    c = make_consultation(user=client, expert=expert, start_at=utc(2026, 12, 3, 9))
    token = feeds.get_or_create_feed(client).token
    first = fetch(api_client, token)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag and last_modified

    r = fetch(api_client, token, HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 304 and r.content == b""
    r = fetch(api_client, token, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert r.status_code == 304

    with time_machine.travel(timedelta(minutes=5)):
        Consultation.objects.filter(pk=c.pk).update(topic="Moved topic")
        r = fetch(api_client, token, HTTP_IF_NONE_MATCH=etag)
        assert r.status_code == 200 and r["ETag"] != etag
        assert r["Last-Modified"] != last_modified
        r2 = fetch(api_client, token, HTTP_IF_MODIFIED_SINCE=last_modified)
        assert r2.status_code == 200
        stale = http_date(0)
        assert fetch(api_client, token, HTTP_IF_MODIFIED_SINCE=stale).status_code == 200


def test_unknown_or_regenerated_tokens_are_404_and_audited(people, api_client, client_for):
    client, _ = people
    old = feeds.get_or_create_feed(client).token
    assert fetch(api_client, "nope").status_code == 404
    assert fetch(api_client, "").status_code == 404
    # Found by the live fuzz run: a NUL byte reached PostgreSQL (500) before tokens were
    # checked for their alphabet; other characters no token has are a plain 404 too.
    for hostile in ("a\x00b", "é" * 10, "x" * 65, "%00"):
        r = fetch(api_client, hostile)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    r = client_for(client).post(FEED + "regenerate/")
    assert r.status_code == 200
    new = CalendarFeedToken.objects.get(user=client).token
    assert new != old and new in r.json()["url"]
    assert fetch(api_client, old).status_code == 404
    assert fetch(api_client, new).status_code == 200
    entry = AuditEntry.objects.get(action="calendar_feed.regenerated")
    assert entry.actor_id == client.pk


def test_inactive_users_feeds_stop(people, api_client):
    client, _ = people
    token = feeds.get_or_create_feed(client).token
    client.is_active = False
    client.save()
    assert fetch(api_client, token).status_code == 404


def test_feed_endpoint_returns_urls_for_the_signed_in_user_only(people, client_for, api_client):
    client, _ = people
    body = client_for(client).get(FEED).json()
    token = CalendarFeedToken.objects.get(user=client).token
    assert body["url"] == f"http://testserver{ICS}?token={token}"
    assert body["webcal_url"] == f"webcal://testserver{ICS}?token={token}"
    assert body["google_url"].startswith("https://calendar.google.com/calendar/r?cid=webcal")
    assert body["last_polled_at"] is None
    fetch(api_client, token)
    assert client_for(client).get(FEED).json()["last_polled_at"] is not None
    assert api_client.get(FEED).status_code in (401, 403)
    # The same URL on every visit until regenerated.
    assert client_for(client).get(FEED).json()["url"] == body["url"]


def test_client_feed_uses_their_profile_zone_or_their_experts(people):
    client, expert = people
    assert feeds.feed_timezone(client) == "UTC"
    make_consultation(user=client, expert=expert, start_at=utc(2026, 12, 3, 9))
    profile = getattr(client, "profile", None)
    if profile is not None and hasattr(profile, "timezone"):
        profile.timezone = ""
        profile.save()
    client = type(client).objects.get(pk=client.pk)
    assert feeds.feed_timezone(client) == "Europe/Paris"
