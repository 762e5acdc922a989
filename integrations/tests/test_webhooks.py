"""Signed webhooks: dispatch from domain events, signing, retries with backoff, replay, SSRF."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from consultations.services import booking, meetings
from consultations.tests.factories import make_consultation, make_expert, make_user
from consultations.tests.scheduling_helpers import every_day, set_rules, utc
from integrations.models import AuditEntry, WebhookDelivery, WebhookEndpoint
from integrations.services import webhooks
from integrations.tests.local_server import Reply, Seen, local_server
from project.api_errors import NotAllowed, ServiceError

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/webhooks/"


@pytest.fixture(autouse=True)
def local_network(settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = True
    settings.INTEGRATIONS_ALLOW_HTTP = True
    settings.INTEGRATIONS_WEBHOOK_TIMEOUT = 2


def receiver_verifies(secret_of):
    """A receiver following the README recipe: 200 if the signature is right, else 400."""

    def handle(req: Seen) -> Reply:
        timestamp = req.headers["consult-webhook-timestamp"]
        expected = hmac.new(
            secret_of().encode(), f"{timestamp}.".encode() + req.body, hashlib.sha256
        ).hexdigest()
        given = req.headers["consult-webhook-signature"].removeprefix("v1=")
        if not hmac.compare_digest(expected, given):
            return Reply(400, b"bad signature")
        return Reply(200, b'{"ok":true}')

    return handle


def endpoint_for(owner, url: str, events=None, **kw) -> WebhookEndpoint:
    return webhooks.create_endpoint(owner, url=url, events=events or list(webhooks.EVENTS), **kw)


def bookable_expert():
    expert = make_expert()
    set_rules(expert, every_day("00:00", "24:00"))
    expert.session_lengths = [60]
    expert.min_notice_minutes = 0
    expert.save()
    return expert


# --------------------------------------------------------------------------- delivery


def test_booking_created_reaches_expert_and_staff_endpoints_signed(
    django_capture_on_commit_callbacks,
):
    expert, other_expert = bookable_expert(), bookable_expert()
    staff = make_user(is_staff=True)
    client = make_user()
    with local_server() as srv:
        mine = endpoint_for(expert.user, srv.url("/mine"))
        everything = endpoint_for(staff, srv.url("/staff"))
        endpoint_for(other_expert.user, srv.url("/other"))
        endpoint_for(expert.user, srv.url("/only-cancel"), events=["booking.cancelled"])
        srv.routes["/mine"] = receiver_verifies(lambda: mine.secret)
        srv.routes["/staff"] = receiver_verifies(lambda: everything.secret)
        with django_capture_on_commit_callbacks(execute=True):
            c = booking.book_consultation(
                user=client,
                expert_id=expert.pk,
                start_at=(timezone.now() + timedelta(days=2)).replace(
                    minute=0, second=0, microsecond=0
                ),
                duration_minutes=60,
                topic="Taxes",
            )
    assert sorted(s.path for s in srv.seen) == ["/mine", "/staff"]
    body = json.loads(srv.seen[0].body)
    assert body["type"] == "booking.created"
    assert body["id"].startswith("evt_")
    assert body["data"]["id"] == c.pk and body["data"]["status"] == "pending"
    deliveries = WebhookDelivery.objects.order_by("endpoint_id")
    assert [(d.status, d.attempts, d.last_status_code) for d in deliveries] == [
        ("succeeded", 1, 200),
        ("succeeded", 1, 200),
    ]
    log = deliveries[0].log.get()
    assert log.status_code == 200 and log.response_excerpt == '{"ok":true}'
    assert log.latency_ms >= 0


def test_each_domain_change_sends_its_event(django_capture_on_commit_callbacks):
    expert = bookable_expert()
    client = make_user()
    with local_server({"/hook": lambda r: Reply(204)}) as srv:
        endpoint_for(expert.user, srv.url("/hook"))
        soon = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=5)
        c = make_consultation(user=client, expert=expert, start_at=soon, status="pending")
        with django_capture_on_commit_callbacks(execute=True):
            booking.confirm_consultation(consultation_id=c.pk, actor=expert.user)
        with django_capture_on_commit_callbacks(execute=True):
            meetings.start_meeting(consultation=c, user=client)
        with django_capture_on_commit_callbacks(execute=True):
            meetings.end_meeting(consultation=c, user=client)
        with django_capture_on_commit_callbacks(execute=True):
            booking.rate_consultation(consultation_id=c.pk, actor=client, rating=5, review="Great")
        later = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        moved = make_consultation(user=client, expert=expert, start_at=later, status="pending")
        with django_capture_on_commit_callbacks(execute=True):
            new = booking.reschedule_consultation(
                consultation_id=moved.pk, actor=client, start_at=later + timedelta(hours=2)
            )
        with django_capture_on_commit_callbacks(execute=True):
            booking.cancel_consultation(consultation_id=new.pk, actor=client, reason="Sick")
    bodies = [json.loads(s.body) for s in srv.seen]
    assert [b["type"] for b in bodies] == [
        "booking.confirmed",
        "meeting.started",
        "meeting.ended",
        "review.created",
        "booking.rescheduled",
        "booking.cancelled",
    ]
    assert bodies[3]["data"]["rating"] == 5 and bodies[3]["data"]["review"] == "Great"
    assert bodies[4]["data"]["previous"]["id"] == moved.pk
    assert all("room" not in b["data"] for b in bodies)  # the meeting room stays private


def test_failing_receiver_is_retried_with_backoff_until_it_succeeds():
    expert = make_expert()
    replies = iter([Reply(500, b"down"), Reply(503, b"still down"), Reply(200, b"ok")])
    with local_server({"/hook": lambda r: next(replies)}) as srv:
        endpoint_for(expert.user, srv.url("/hook"))
        t0 = utc(2026, 3, 1, 12)
        with time_machine.travel(t0, tick=False):
            (delivery,) = webhooks.dispatch("booking.created", {"id": 1}, expert_id=expert.pk)
        first = webhooks.attempt(delivery.pk, now=t0)
        assert (first.status, first.next_attempt_at) == ("retrying", t0 + timedelta(minutes=1))
        assert webhooks.attempt(delivery.pk, now=t0 + timedelta(seconds=30)) is None  # not due
        assert webhooks.due_delivery_ids(t0 + timedelta(seconds=30)) == []
        assert webhooks.due_delivery_ids(t0 + timedelta(minutes=1)) == [delivery.pk]
        second = webhooks.attempt(delivery.pk, now=t0 + timedelta(minutes=1))
        assert second.next_attempt_at == t0 + timedelta(minutes=3)  # then 2 minutes
        third = webhooks.attempt(delivery.pk, now=t0 + timedelta(minutes=3))
    assert third.status == "succeeded" and third.attempts == 3
    assert [(a.status_code, a.error) for a in third.log.all()] == [
        (500, "HTTP 500"),
        (503, "HTTP 503"),
        (200, ""),
    ]
    # The same body and event id on every attempt, signed with a fresh timestamp each time.
    assert len({s.body for s in srv.seen}) == 1
    assert len({s.headers["consult-webhook-timestamp"] for s in srv.seen}) == 3


def test_timeouts_count_as_failures(settings):
    settings.INTEGRATIONS_WEBHOOK_TIMEOUT = 0.5
    expert = make_expert()
    with local_server({"/slow": lambda r: Reply(200, b"late", delay=2)}) as srv:
        endpoint_for(expert.user, srv.url("/slow"))
        (delivery,) = webhooks.dispatch("booking.created", {"id": 1}, expert_id=expert.pk)
        result = webhooks.attempt(delivery.pk)
    assert result.status == "retrying"
    assert "Timed out" in result.last_error and result.last_status_code is None


def test_gives_up_after_24_hours():
    assert [webhooks.retry_delay(n).total_seconds() / 60 for n in range(1, 9)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]
    expert = make_expert()
    with local_server({"/hook": lambda r: Reply(500)}) as srv:
        endpoint_for(expert.user, srv.url("/hook"))
        t0 = utc(2026, 3, 1, 12)
        with time_machine.travel(t0, tick=False):
            (delivery,) = webhooks.dispatch("booking.created", {"id": 1}, expert_id=expert.pk)
        now = t0
        while True:
            d = webhooks.attempt(delivery.pk, now=now)
            if d.status == "failed":
                break
            now = d.next_attempt_at
    assert now <= t0 + timedelta(hours=24)
    # Attempts at minute 0, 1, 3, 7, 15, 31, 63, then hourly up to 63 + 22 * 60 = 1383;
    # the next (1443) would be past 24 h.
    assert d.attempts == 29 == len(srv.seen)
    assert d.log.last().attempted_at == t0 + timedelta(minutes=1383)
    assert webhooks.due_delivery_ids(now + timedelta(days=1)) == []


def test_redirects_are_not_followed_and_private_addresses_refused(settings):
    expert = make_expert()
    with local_server() as srv:
        srv.routes["/moved"] = lambda r: Reply(302, headers={"Location": srv.url("/x")})
        srv.routes["/x"] = lambda r: Reply(200)
        endpoint_for(expert.user, srv.url("/moved"))
        (delivery,) = webhooks.dispatch("booking.created", {"id": 1}, expert_id=expert.pk)
        result = webhooks.attempt(delivery.pk)
        assert result.status == "retrying" and "redirect" in result.last_error
        assert [s.path for s in srv.seen] == ["/moved"]

        settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = False
        d2 = webhooks.replay(expert.user, delivery.pk)
        result = webhooks.attempt(d2.pk)
        assert "private or reserved address" in result.last_error
        assert len(srv.seen) == 1  # nothing more reached the server


def test_replay_sends_the_same_event_again_with_a_new_delivery_id():
    expert = make_expert()
    with local_server({"/hook": lambda r: Reply(200)}) as srv:
        endpoint_for(expert.user, srv.url("/hook"))
        (delivery,) = webhooks.dispatch("booking.created", {"id": 7}, expert_id=expert.pk)
        webhooks.attempt(delivery.pk)
        again = webhooks.replay(expert.user, delivery.pk)
        webhooks.attempt(again.pk)
    first, second = srv.seen
    assert first.body == second.body
    assert first.headers["consult-webhook-id"] != second.headers["consult-webhook-id"]
    assert again.replay_of_id == delivery.pk
    assert AuditEntry.objects.filter(action="webhook.replayed").count() == 1
    with pytest.raises(Exception, match="No such delivery"):
        webhooks.replay(make_user(), delivery.pk)


def test_verify_helper_matches_sign_and_rejects_stale_or_tampered():
    body = b'{"id":"evt_1"}'
    now = int(timezone.now().timestamp())
    sig = webhooks.sign("whsec_x", now, body)
    assert webhooks.verify("whsec_x", str(now), body, sig)
    assert not webhooks.verify("whsec_x", str(now), body + b" ", sig)
    assert not webhooks.verify("whsec_y", str(now), body, sig)
    assert not webhooks.verify(
        "whsec_x", str(now - 3600), body, webhooks.sign("whsec_x", now - 3600, body)
    )


# --------------------------------------------------------------------------- endpoints + API


def test_only_experts_and_staff_may_register(settings):
    settings.INTEGRATIONS_ALLOW_HTTP = False
    with pytest.raises(NotAllowed):
        webhooks.create_endpoint(
            make_user(), url="https://example.com/h", events=["booking.created"]
        )
    expert = make_expert()
    with pytest.raises(ServiceError) as exc:
        webhooks.create_endpoint(
            expert.user, url="http://example.com/h", events=["booking.created"]
        )
    assert exc.value.field == "url"
    with pytest.raises(ServiceError) as exc:
        webhooks.create_endpoint(expert.user, url="https://example.com/h", events=["booking.eaten"])
    assert exc.value.field == "events"
    assert not WebhookEndpoint.objects.exists()


def test_api_create_list_deliveries_replay_delete(client_for, django_capture_on_commit_callbacks):
    expert = make_expert()
    api = client_for(expert.user)
    with local_server({"/hook": lambda r: Reply(200, b"thanks")}) as srv:
        r = api.post(URL, {"url": srv.url("/hook"), "events": ["booking.created"]}, format="json")
        assert r.status_code == 201, r.content
        created = r.json()
        assert created["secret"].startswith("whsec_") and created["scope"] == "expert"
        listed = api.get(URL).json()
        assert (
            "secret" not in listed[0] and listed[0]["secret_hint"] == "…" + created["secret"][-4:]
        )
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.dispatch("booking.created", {"id": 1}, expert_id=expert.pk)
        rows = api.get(f"{URL}{created['id']}/deliveries/").json()
        assert [(d["status"], d["last_status_code"], d["last_response_excerpt"]) for d in rows] == [
            ("succeeded", 200, "thanks")
        ]
        assert rows[0]["log"][0]["status_code"] == 200
        with django_capture_on_commit_callbacks(execute=True):
            r = api.post(f"{URL}deliveries/{rows[0]['id']}/replay/")
        assert r.status_code == 202
        assert len(srv.seen) == 2
    r = api.post(f"{URL}{created['id']}/rotate-secret/")
    assert r.json()["secret"] != created["secret"]
    r = api.patch(f"{URL}{created['id']}/", {"active": False}, format="json")
    assert r.json()["active"] is False
    assert api.delete(f"{URL}{created['id']}/").status_code == 204
    assert [a for a in AuditEntry.objects.order_by("pk").values_list("action", flat=True)] == [
        "webhook.created",
        "webhook.replayed",
        "webhook.secret_rotated",
        "webhook.changed",
        "webhook.deleted",
    ]


def test_api_refusals(client_for):
    expert, other = make_expert(), make_expert()
    theirs = endpoint_for(other.user, "https://example.com/hook")
    api = client_for(expert.user)
    assert client_for(make_user()).get(URL).status_code == 403
    r = api.post(URL, {"url": "https://example.com/h", "events": []}, format="json")
    assert r.status_code == 400 and "events" in r.json()["error"]["fields"]
    r = api.post(URL, {"url": "ftp://example.com/h", "events": ["booking.created"]}, format="json")
    assert r.status_code == 400 and "url" in r.json()["error"]["fields"]
    assert api.patch(f"{URL}{theirs.pk}/", {"active": False}, format="json").status_code == 404
    assert api.get(f"{URL}{theirs.pk}/deliveries/").status_code == 404
    (delivery,) = webhooks.dispatch("booking.created", {"id": 1}, expert_id=other.pk)
    assert api.post(f"{URL}deliveries/{delivery.pk}/replay/").status_code == 404


def test_admin_replay_action(client, django_capture_on_commit_callbacks):
    staff = make_user(is_staff=True, is_superuser=True)
    expert = make_expert()
    with local_server({"/hook": lambda r: Reply(200)}) as srv:
        endpoint_for(expert.user, srv.url("/hook"))
        (delivery,) = webhooks.dispatch("booking.created", {"id": 1}, expert_id=expert.pk)
        client.force_login(staff)
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(
                "/admin/integrations/webhookdelivery/",
                {"action": "replay", "_selected_action": [str(delivery.pk)]},
            )
        assert r.status_code == 302
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1
    assert len(srv.seen) == 1
