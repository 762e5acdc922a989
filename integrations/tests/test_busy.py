"""External calendar feeds: fetch over HTTP (a local server), parse, store, block slots."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import time_machine

from consultations.services import scheduling
from consultations.tests.factories import make_user
from consultations.tests.scheduling_helpers import every_day, scheduling_expert, set_rules, utc
from integrations.models import AuditEntry, ExternalBusyInterval, ExternalCalendarFeed
from integrations.services import busy, safe_http
from integrations.tests.local_server import Reply, local_server
from project.api_errors import ServiceError

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
NOW = utc(2026, 3, 10, 12)
URL = "/api/v1/integrations/calendars/"


def ics(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(autouse=True)
def local_network(settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = True
    settings.INTEGRATIONS_ALLOW_HTTP = True
    settings.INTEGRATIONS_HTTP_TIMEOUT = 2


@pytest.fixture
def fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def paris_expert():
    expert = scheduling_expert("Europe/Paris")
    set_rules(expert, every_day("08:00", "18:00"))
    return expert


def make_feed(expert, url: str) -> ExternalCalendarFeed:
    return ExternalCalendarFeed.objects.create(expert=expert, url=url, name="Work")


def stored(feed) -> list[tuple]:
    return list(
        ExternalBusyInterval.objects.filter(feed=feed)
        .order_by("start_at")
        .values_list("start_at", "end_at")
    )


# --------------------------------------------------------------------------- parsing + sync


def test_recurring_events_across_dst_all_day_and_free_events(fixed_now):
    expert = paris_expert()
    with local_server({"/cal.ics": lambda r: Reply(200, ics("paris_weekly.ics"))}) as srv:
        feed = make_feed(expert, srv.url("/cal.ics"))
        result = busy.sync_feed(feed.pk)
    assert result.ok, result.error
    assert stored(feed) == [
        (utc(2026, 3, 16, 9), utc(2026, 3, 16, 10)),  # Monday 10:00 CET
        (utc(2026, 3, 18, 13), utc(2026, 3, 18, 14, 30)),  # UTC, DURATION
        (utc(2026, 3, 19, 23), utc(2026, 3, 20, 23)),  # all-day 20 March, Paris day
        (utc(2026, 3, 23, 9), utc(2026, 3, 23, 10)),
        (utc(2026, 3, 30, 8), utc(2026, 3, 30, 9)),  # after the change: 10:00 CEST
        # 6 April is an EXDATE; transparent, cancelled and far-future events block nothing.
    ]
    feed.refresh_from_db()
    assert (feed.status, feed.busy_count, feed.last_error) == ("ok", 5, "")
    assert feed.last_fetch_at == feed.last_success_at == NOW


def test_google_x_wr_timezone_recurrence_keeps_local_time_across_dst():
    expert = scheduling_expert("America/New_York")
    with time_machine.travel(utc(2026, 10, 28, 12), tick=False):
        with local_server({"/g.ics": lambda r: Reply(200, ics("google_wr_timezone.ics"))}) as srv:
            feed = make_feed(expert, srv.url("/g.ics"))
            assert busy.sync_feed(feed.pk).ok
    starts = [s for s, _ in stored(feed)]
    # 09:00 in New York each day: EDT until 1 November, then EST.
    assert starts == [
        utc(2026, 10, 30, 13),
        utc(2026, 10, 31, 13),
        utc(2026, 11, 1, 14),
        utc(2026, 11, 2, 14),
    ]


def test_busy_times_remove_slots_and_refuse_bookings(fixed_now):
    expert = paris_expert()
    with local_server({"/cal.ics": lambda r: Reply(200, ics("paris_weekly.ics"))}) as srv:
        feed = make_feed(expert, srv.url("/cal.ics"))
        busy.sync_feed(feed.pk)
    monday = scheduling.get_available_slots(
        expert, date_from=date(2026, 3, 30), date_to=date(2026, 3, 30)
    )
    starts = {s.start for s in monday}
    assert utc(2026, 3, 30, 8) not in starts and utc(2026, 3, 30, 8, 30) not in starts
    assert utc(2026, 3, 30, 7, 30) in starts  # 07:30Z-08:00Z touches the busy time: free
    assert utc(2026, 3, 30, 9) in starts
    # The all-day event closes the whole Paris day.
    assert (
        scheduling.get_available_slots(
            expert, date_from=date(2026, 3, 20), date_to=date(2026, 3, 20)
        )
        == []
    )
    with pytest.raises(ServiceError) as exc:
        scheduling.ensure_bookable(expert, utc(2026, 3, 16, 9), 30)
    assert exc.value.code == "expert_unavailable"
    # Pausing the feed frees the time again.
    busy.update_feed(expert, feed.pk, enabled=False)
    scheduling.ensure_bookable(expert, utc(2026, 3, 16, 9), 30)


def test_sync_refreshes_next_available_at(fixed_now):
    expert = scheduling_expert("UTC")
    set_rules(expert, [(1, "13:00", "14:00")])  # Tuesdays only
    scheduling.refresh_next_available_at(expert)
    assert expert.next_available_at == utc(2026, 3, 10, 13)
    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\n"
        b"DTSTAMP:20260101T000000Z\r\nDTSTART:20260310T130000Z\r\nDTEND:20260310T140000Z\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with local_server({"/c.ics": lambda r: Reply(200, body)}) as srv:
        feed = make_feed(expert, srv.url("/c.ics"))
        busy.sync_feed(feed.pk)
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 17, 13)


def test_broken_feed_records_the_error_and_keeps_the_last_good_busy_times(fixed_now):
    expert = paris_expert()
    replies = iter([Reply(200, ics("paris_weekly.ics")), Reply(200, b"<html>Sign in</html>")])
    with local_server({"/cal.ics": lambda r: next(replies)}) as srv:
        feed = make_feed(expert, srv.url("/cal.ics"))
        assert busy.sync_feed(feed.pk).ok
        result = busy.sync_feed(feed.pk)
    assert not result.ok
    feed.refresh_from_db()
    assert feed.status == "error"
    assert "iCalendar" in feed.last_error
    assert len(stored(feed)) == 5  # the previous good fetch still blocks time
    assert feed.last_success_at == NOW


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(500, b"oops"), "HTTP 500"),
        (Reply(404, b"gone"), "HTTP 404"),
        (Reply(200, b"x" * 5000), "larger than"),
        (Reply(200, b"BEGIN:VCALENDAR\r\n", delay=3), "Timed out"),
    ],
    ids=["500", "404", "too-large", "timeout"],
)
def test_fetch_failures_are_reported_per_feed(fixed_now, settings, reply, error):
    settings.INTEGRATIONS_FEED_MAX_BYTES = 4096
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.5
    expert = paris_expert()
    with local_server({"/cal.ics": lambda r: reply}) as srv:
        feed = make_feed(expert, srv.url("/cal.ics"))
        result = busy.sync_feed(feed.pk)
    assert not result.ok
    feed.refresh_from_db()
    assert feed.status == "error" and error in feed.last_error, feed.last_error


def test_redirects_are_followed_up_to_three(fixed_now):
    expert = paris_expert()
    with local_server() as srv:
        srv.routes.update(
            {
                "/a": lambda r: Reply(302, headers={"Location": srv.url("/b")}),
                "/b": lambda r: Reply(301, headers={"Location": "/cal.ics"}),
                "/cal.ics": lambda r: Reply(200, ics("paris_weekly.ics")),
                "/loop": lambda r: Reply(302, headers={"Location": "/loop"}),
            }
        )
        ok = make_feed(expert, srv.url("/a"))
        looping = make_feed(expert, srv.url("/loop"))
        assert busy.sync_feed(ok.pk).ok
        assert not busy.sync_feed(looping.pk).ok
    looping.refresh_from_db()
    assert "Too many redirects" in looping.last_error
    assert sum(1 for s in srv.seen if s.path == "/loop") == 4  # first try + 3 redirects


def test_conditional_get_uses_the_etag_and_304_keeps_the_busy_times(fixed_now):
    expert = paris_expert()

    def serve(r):
        if r.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, ics("paris_weekly.ics"), headers={"ETag": '"v1"'})

    with local_server({"/cal.ics": serve}) as srv:
        feed = make_feed(expert, srv.url("/cal.ics"))
        busy.sync_feed(feed.pk)
        second = busy.sync_feed(feed.pk)
    assert second.ok and second.not_modified
    assert len(stored(feed)) == 5
    assert srv.seen[1].headers["if-none-match"] == '"v1"'


# --------------------------------------------------------------------------- SSRF


def test_loopback_is_refused_unless_the_setting_allows_it(fixed_now, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = False
    expert = paris_expert()
    with local_server({"/cal.ics": lambda r: Reply(200, ics("paris_weekly.ics"))}) as srv:
        feed = make_feed(expert, srv.url("/cal.ics"))
        result = busy.sync_feed(feed.pk)
    assert not result.ok and "private or reserved address" in result.error
    assert srv.seen == []  # no request reached the server


def test_a_redirect_to_a_refused_address_is_not_followed(fixed_now, monkeypatch):
    expert = paris_expert()
    monkeypatch.setattr(safe_http, "address_allowed", lambda ip: ip == "127.0.0.1")
    with local_server() as srv:
        srv.routes["/cal.ics"] = lambda r: Reply(
            302, headers={"Location": f"http://127.0.0.2:{srv.port}/cal.ics"}
        )
        feed = make_feed(expert, srv.url("/cal.ics"))
        result = busy.sync_feed(feed.pk)
    assert not result.ok and "127.0.0.2" in result.error
    assert len(srv.seen) == 1


@pytest.mark.parametrize(
    ("ip", "allowed"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("224.0.0.1", False),
    ],
)
def test_address_rules(settings, ip, allowed):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = False
    assert safe_http.address_allowed(ip) is allowed


def test_every_resolved_address_must_be_public(settings, monkeypatch):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = False
    answers = [(2, 1, 6, "", ("93.184.216.34", 443)), (2, 1, 6, "", ("10.0.0.5", 443))]
    monkeypatch.setattr(safe_http.socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(safe_http.UnsafeURL, match=r"10\.0\.0\.5"):
        safe_http.resolve_public("calendar.example.com", 443)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/cal.ics", "https"),
        ("file:///etc/passwd", "https"),
        ("http://example.com/cal.ics", "plain http"),
        ("https://user:pw@example.com/cal.ics", "user name"),
        ("https:///nohost", "no host"),
    ],
)
def test_add_feed_refuses_bad_urls_naming_the_field(settings, url, message):
    settings.INTEGRATIONS_ALLOW_HTTP = False
    expert = paris_expert()
    with pytest.raises(ServiceError) as exc:
        busy.add_feed(expert, url=url)
    assert exc.value.field == "url" and message in exc.value.message
    assert not ExternalCalendarFeed.objects.exists()


# --------------------------------------------------------------------------- tasks + API


def test_beat_task_syncs_every_enabled_feed(fixed_now, django_capture_on_commit_callbacks):
    from integrations.tasks import sync_external_calendars

    expert = paris_expert()
    with local_server({"/cal.ics": lambda r: Reply(200, ics("paris_weekly.ics"))}) as srv:
        on = make_feed(expert, srv.url("/cal.ics"))
        off = make_feed(expert, srv.url("/cal.ics?off"))
        off.enabled = False
        off.save()
        with django_capture_on_commit_callbacks(execute=True):
            sync_external_calendars.delay()
    on.refresh_from_db()
    off.refresh_from_db()
    assert on.status == "ok" and off.status == "pending"
    assert len(srv.seen) == 1


def test_api_add_list_sync_pause_remove(fixed_now, client_for, django_capture_on_commit_callbacks):
    expert = paris_expert()
    api = client_for(expert.user)
    with local_server({"/cal.ics": lambda r: Reply(200, ics("paris_weekly.ics"))}) as srv:
        with django_capture_on_commit_callbacks(execute=True):
            r = api.post(URL, {"url": srv.url("/cal.ics"), "name": "Work"}, format="json")
        assert r.status_code == 201, r.content
        feed_id = r.json()["id"]
        assert r.json()["url_display"] == "http://127.0.0.1/…"  # the secret path is not shown
        listed = api.get(URL).json()
        assert [(f["name"], f["status"], f["busy_count"]) for f in listed] == [("Work", "ok", 5)]
        r = api.post(f"{URL}{feed_id}/sync/")
        assert r.status_code == 200 and r.json()["status"] == "ok"
    r = api.patch(f"{URL}{feed_id}/", {"enabled": False}, format="json")
    assert r.json()["enabled"] is False
    assert api.delete(f"{URL}{feed_id}/").status_code == 204
    assert not ExternalBusyInterval.objects.exists()
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == [
        "calendar_source.added",
        "calendar_source.changed",
        "calendar_source.removed",
    ]


def test_api_errors_and_permissions(client_for, settings):
    settings.INTEGRATIONS_ALLOW_HTTP = False
    expert, other = paris_expert(), paris_expert()
    feed = make_feed(other, "https://calendar.example.com/private/basic.ics")
    api = client_for(expert.user)
    r = api.post(URL, {"url": "http://calendar.example.com/x.ics"}, format="json")
    assert r.status_code == 400 and "url" in r.json()["error"]["fields"]
    assert api.post(URL, {}, format="json").status_code == 400
    assert api.delete(f"{URL}{feed.pk}/").status_code == 404
    assert api.post(f"{URL}{feed.pk}/sync/").status_code == 404
    assert api.get(URL).json() == []
    assert client_for(make_user()).get(URL).status_code == 403
    assert client_for(None).get(URL).status_code in (401, 403)
