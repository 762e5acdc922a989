"""notifications.emails + notifications.calendar: both parts, local times, .ics invites."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from icalendar import Calendar

from consultations.services.jitsi import JitsiService
from consultations.tests.factories import make_consultation, make_expert, make_user
from notifications import emails
from notifications.calendar import build_invite, invite_uid

pytestmark = pytest.mark.django_db

# Winter in Paris (UTC+1): 14:00 UTC is 15:00 local.
START = datetime(2031, 1, 15, 14, 0, tzinfo=UTC)


@pytest.fixture
def consultation():
    client = make_user(first_name="Uma", last_name="User", email="uma@example.com")
    expert_user = make_user(first_name="Erin", last_name="Expert", email="erin@example.com")
    expert = make_expert(expert_user, name="Erin Expert", timezone="Europe/Paris")
    return make_consultation(user=client, expert=expert, start_at=START, minutes=45, topic="Taxes")


def _parts(message) -> tuple[str, str]:
    html = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(html) == 1, "exactly one HTML alternative"
    return message.body, html[0]


def _ics(message) -> tuple[Calendar, object]:
    raw = message.message()
    parts = [p for p in raw.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "exactly one calendar attachment"
    part = parts[0]
    assert part.get_filename().endswith(".ics")
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert part.get_param("method") == str(calendar["method"])
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_booking_confirmation_has_text_html_and_an_ics_with_the_right_times(consultation):
    consultation.status = "confirmed"
    message = emails.booking_confirmation_email(consultation, consultation.user, reason="confirmed")
    text, html = _parts(message)
    meeting_url = JitsiService.get_meeting_url(consultation)
    assert message.to == ["uma@example.com"]
    assert "confirmed" in message.subject.lower()
    for body in (text, html):
        assert meeting_url in body
        assert "Taxes" in body and "Erin Expert" in body
        # The client has no known zone: UTC, labelled.
        assert "Wednesday 15 January 2031, 14:00" in body and "(UTC)" in body
    assert "<html" in html and "<html" not in text

    calendar, event = _ics(message)
    assert str(calendar["method"]) == "REQUEST"
    assert event.decoded("dtstart") == START
    assert event.decoded("dtend") == datetime(2031, 1, 15, 14, 45, tzinfo=UTC)
    assert event.decoded("dtstart").tzinfo is not None
    ical = event.to_ical().decode()
    assert "DTSTART:20310115T140000Z" in ical and "DTEND:20310115T144500Z" in ical
    assert str(event["uid"]) == invite_uid(consultation)
    assert str(event["location"]) == meeting_url
    assert str(event["url"]) == meeting_url
    assert meeting_url in str(event["description"])
    assert "Taxes" in str(event["summary"])
    assert str(event["status"]) == "CONFIRMED"
    attendees = {str(a).lower() for a in event.get("attendee")}
    assert attendees == {"mailto:uma@example.com", "mailto:erin@example.com"}


def test_expert_sees_the_time_in_their_own_zone(consultation):
    message = emails.booking_confirmation_email(consultation, consultation.expert.user)
    text, html = _parts(message)
    for body in (text, html):
        assert "Wednesday 15 January 2031, 15:00" in body
        assert "(Europe/Paris)" in body
        assert "Uma User" in body  # the other party, for the expert
    # The invite itself stays in UTC whatever the reader's zone.
    _, event = _ics(message)
    assert event.decoded("dtstart") == START


def test_pending_booking_is_a_request_and_a_tentative_event(consultation):
    consultation.status = "pending"
    message = emails.booking_confirmation_email(consultation, consultation.expert.user)
    assert "request" in message.subject.lower()
    _, event = _ics(message)
    assert str(event["status"]) == "TENTATIVE"


def test_uid_is_stable_per_consultation_and_distinct_between_them(consultation):
    other = make_consultation(start_at=START)
    first = Calendar.from_ical(build_invite(consultation)).walk("VEVENT")[0]
    again = Calendar.from_ical(build_invite(consultation)).walk("VEVENT")[0]
    assert str(first["uid"]) == str(again["uid"])
    assert str(first["uid"]) != invite_uid(other)


def test_cancellation_cancels_the_same_event(consultation):
    invite = Calendar.from_ical(build_invite(consultation)).walk("VEVENT")[0]
    consultation.status = "cancelled"
    consultation.cancellation_reason = "Sick"
    consultation.cancelled_by = consultation.user
    message = emails.cancellation_email(consultation, consultation.expert.user)
    text, html = _parts(message)
    assert "cancelled" in message.subject.lower()
    for body in (text, html):
        assert "Sick" in body and "Uma User" in body
        assert "15:00" in body  # the expert's zone again
    calendar, event = _ics(message)
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["uid"]) == str(invite["uid"])
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) > int(invite["sequence"])
    assert event.decoded("dtstart") == START


def test_reminder_carries_the_invite_and_the_meeting_link(consultation):
    message = emails.reminder_email(consultation, consultation.user, kind="1h")
    text, html = _parts(message)
    assert message.subject == "Reminder: your consultation starts in 1 hour"
    meeting_url = JitsiService.get_meeting_url(consultation)
    assert meeting_url in text and meeting_url in html
    calendar, event = _ics(message)
    assert str(calendar["method"]) == "REQUEST"
    assert event.decoded("dtstart") == START


def test_meeting_url_uses_the_configured_jitsi_domain(consultation, settings):
    from notifications import calendar

    settings.JITSI_DOMAIN = "video.example.org"
    assert (
        calendar.meeting_url_for(consultation)
        == f"https://video.example.org/{consultation.meeting_room_id}"
    )


def test_html_escapes_user_text_but_plain_text_does_not(consultation):
    consultation.topic = "<script>alert(1)</script> & more"
    text, html = _parts(emails.reminder_email(consultation, consultation.user, kind="24h"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script> & more" in text


def test_dst_changes_the_experts_local_time():
    # New York: 15:00 UTC is 10:00 in winter (EST) and 11:00 in summer (EDT).
    expert = make_expert(timezone="America/New_York")
    winter = make_consultation(expert=expert, start_at=datetime(2031, 1, 6, 15, tzinfo=UTC))
    summer = make_consultation(expert=expert, start_at=datetime(2031, 7, 7, 15, tzinfo=UTC))
    assert "10:00" in emails.reminder_email(winter, expert.user, kind="1h").body
    assert "11:00" in emails.reminder_email(summer, expert.user, kind="1h").body


def test_verification_result_and_chat_emails_have_both_parts(user):
    approved = emails.verification_result_email(user, outcome="approve", notes="Great <b>CV</b>")
    text, html = _parts(approved)
    assert approved.subject == "Your expert application was approved"
    assert "Great <b>CV</b>" in text and "Great &lt;b&gt;CV&lt;/b&gt;" in html
    assert "verified" in text

    chat = emails.chat_message_email(
        user,
        sender_name="Erin",
        excerpt="See you soon",
        conversation_url="http://x/c?conversation=1",
    )
    text, html = _parts(chat)
    assert chat.subject == "New message from Erin"
    assert "See you soon" in text and "See you soon" in html
    assert "http://x/c?conversation=1" in html


def test_deliver_sends_through_the_configured_backend(consultation):
    consultation.status = "confirmed"
    consultation.save()
    sent = emails.deliver_consultation_email(
        template="booking_confirmation",
        consultation_id=consultation.pk,
        recipient_id=consultation.user_id,
        reason="confirmed",
    )
    assert sent == 1 and len(mail.outbox) == 1


def test_no_confirmation_for_a_consultation_cancelled_before_the_worker_ran(consultation):
    consultation.status = "cancelled"
    consultation.save()
    sent = emails.deliver_consultation_email(
        template="booking_confirmation",
        consultation_id=consultation.pk,
        recipient_id=consultation.user_id,
    )
    assert sent == 0 and mail.outbox == []


def test_emails_state_the_bookings_own_cancellation_policy():
    from consultations import policies

    c = make_consultation(policy=policies.make_snapshot("moderate", 12, 1))
    text, html = _parts(emails.booking_confirmation_email(c, c.user))
    assert "Moderate policy." in text
    assert "Full refund if the client cancels at least 48 hours before." in text
    assert "50 % refund if the client cancels at least 24 hours before." in html
    c.status = "cancelled"
    text, _ = _parts(emails.cancellation_email(c, c.user))
    assert "Under the booking's Moderate cancellation policy:" in text
