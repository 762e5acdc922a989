"""notifications.emails + notifications.calendar: both parts, local times, .ics invites."""

# ruff: noqa: RUF001 (expected strings use the en dash the output really uses)
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
        # The client has no known zone: UTC, named.
        assert "Wed 15 Jan, 14:00–14:45 UTC" in body
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
        assert "Wed 15 Jan, 15:00–15:45 CET" in body
        assert "Uma User" in body  # the other party, for the expert
    # The invite itself stays in UTC whatever the reader's zone.
    consultation.status = "confirmed"
    confirmed = emails.booking_confirmation_email(consultation, consultation.expert.user)
    _, event = _ics(confirmed)
    assert event.decoded("dtstart") == START


def test_pending_booking_is_a_request_without_invite_or_join_link(consultation):
    consultation.status = "pending"
    meeting_url = JitsiService.get_meeting_url(consultation)
    to_expert = emails.booking_confirmation_email(consultation, consultation.expert.user)
    to_client = emails.booking_confirmation_email(consultation, consultation.user)
    assert to_expert.subject == "New request from Uma User for Wed 15 Jan, 15:00 CET"
    assert to_client.subject == "Request sent to Erin Expert for Wed 15 Jan, 14:00 UTC"
    for message in (to_expert, to_client):
        text, html = _parts(message)
        assert not [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
        for body in (text, html):
            assert meeting_url not in body and "Join the video call" not in body
            assert "come once the consultation is confirmed" in body


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
        assert "Sick" in body and "Uma User cancelled your consultation" in body
        assert "15:00–15:45 CET" in body  # the expert's zone again
    calendar, event = _ics(message)
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["uid"]) == str(invite["uid"])
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) > int(invite["sequence"])
    assert event.decoded("dtstart") == START


def test_reminder_carries_the_invite_and_the_meeting_link(consultation):
    message = emails.reminder_email(consultation, consultation.user, kind="1h")
    text, html = _parts(message)
    assert message.subject == "Reminder: your consultation starts in 1 hour (Wed 15 Jan, 14:00 UTC)"
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


# --------------------------------------------------------------------------- issue 14


def _set_profile(user, **fields):
    from accounts.models import Profile

    Profile.objects.filter(user=user).update(**fields)
    user.refresh_from_db()
    if hasattr(user, "_state"):
        user._state.fields_cache.pop("profile", None)


def test_a_client_in_new_york_reads_new_york_time_on_a_12_hour_clock(consultation):
    _set_profile(consultation.user, timezone="America/New_York", time_format="12h")
    consultation.status = "confirmed"
    message = emails.booking_confirmation_email(consultation, consultation.user, reason="confirmed")
    assert message.subject == "Confirmed: Wed 15 Jan, 9:00 AM EST with Erin Expert"
    for body in _parts(message):
        assert "Wed 15 Jan, 9:00–9:45 AM EST" in body


def test_a_client_without_a_chosen_zone_reads_the_zone_they_booked_from(consultation):
    consultation.client_timezone = "Asia/Kolkata"
    message = emails.reminder_email(consultation, consultation.user, kind="1h")
    assert "Wed 15 Jan, 19:30–20:15 IST" in message.body


def test_subjects_survive_the_wire_without_a_leading_space(consultation):
    import email as email_lib
    from email import policy

    consultation.expert.name = "Amélie Laurent-Dubois de la Fontaine"
    consultation.status = "confirmed"
    message = emails.booking_confirmation_email(consultation, consultation.user, reason="confirmed")
    raw = message.message().as_bytes()
    parsed = email_lib.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == message.subject
    assert message.subject.startswith("Confirmed: Wed 15 Jan, 14:00 UTC with Amélie")
    assert b"Subject: \n" not in raw  # Django's default folding put the subject on line 2
    # A reader that does not unfold RFC 2047 words gets no leading space either.
    assert not email_lib.message_from_bytes(raw)["Subject"].startswith((" ", "\n"))
    long_ascii = emails.reminder_email(consultation, consultation.user, kind="24h")
    raw = long_ascii.message().as_bytes()
    assert email_lib.message_from_bytes(raw)["Subject"] == long_ascii.subject


def test_every_email_has_both_parts_and_a_link_to_the_preferences(consultation, user):
    consultation.status = "cancelled"
    consultation.cancelled_by = consultation.user
    messages = [
        emails.booking_confirmation_email(consultation, consultation.user),
        emails.reminder_email(consultation, consultation.user, kind="24h"),
        emails.cancellation_email(consultation, consultation.user),
        emails.chat_message_email(user, sender_name="E", excerpt="x", conversation_url="http://x"),
        emails.verification_result_email(user, outcome="approve"),
    ]
    for message in messages:
        text, html = _parts(message)
        assert "/account#notifications" in text and "/account#notifications" in html


@pytest.mark.parametrize(
    ("who", "refund", "subject", "money"),
    [
        (
            "client",
            "45.00",
            "You cancelled your consultation on Wed 15 Jan, 14:00 UTC",
            "Price: €45.00. Refund due to you: €45.00 (full refund).",
        ),
        (
            "client",
            "0.00",
            "You cancelled your consultation on Wed 15 Jan, 14:00 UTC",
            "Price: €45.00. No refund is due",
        ),
        (
            "expert",
            "45.00",
            "Erin Expert cancelled your consultation on Wed 15 Jan, 14:00 UTC",
            "Price: €45.00. Refund due to you: €45.00 (full refund).",
        ),
    ],
)
def test_cancellation_says_who_in_the_readers_terms_and_the_money(
    consultation, who, refund, subject, money
):
    from decimal import Decimal

    consultation.status = "cancelled"
    consultation.price = Decimal("45.00")
    consultation.currency = "EUR"
    consultation.refund_amount = Decimal(refund)
    consultation.cancelled_by = consultation.user if who == "client" else consultation.expert.user
    message = emails.cancellation_email(consultation, consultation.user)
    assert message.subject == subject
    text, html = _parts(message)
    for body in (text, html):
        assert money in body
        assert "Free" not in body


def test_a_free_consultation_says_there_is_nothing_to_refund(consultation):
    from decimal import Decimal

    consultation.status = "cancelled"
    consultation.price = Decimal("0")
    consultation.cancelled_by = consultation.expert.user
    message = emails.cancellation_email(consultation, consultation.expert.user)
    assert message.subject == "You cancelled your consultation on Wed 15 Jan, 15:00 CET"
    assert "nothing to refund" in message.body


def test_the_chat_email_says_how_many_messages_wait(consultation):
    from chat.services import get_or_create_conversation, send_message

    client, expert = consultation.user, consultation.expert
    conversation, _ = get_or_create_conversation(user=client, expert_id=expert.pk)
    for i in range(5):
        send_message(
            sender=expert.user, conversation_id=conversation.pk, text=f"m{i}", client_id=f"c{i}"
        )
    sent = emails.deliver_chat_message_email(
        recipient_id=client.pk,
        sender_name="Erin Expert",
        excerpt="m0",
        conversation_url="http://x/c",
        conversation_id=conversation.pk,
    )
    [message] = mail.outbox
    assert sent == 1 and message.subject == "5 unread messages from Erin Expert"
    assert "5 messages from Erin Expert are waiting" in message.body
    assert "and 4 more" in message.body


def test_email_preferences_are_honoured(consultation):
    from chat.services import get_or_create_conversation, send_message

    consultation.status = "confirmed"
    consultation.save()
    _set_profile(consultation.user, email_booking=False, email_chat=False)
    assert (
        emails.deliver_consultation_email(
            template="booking_confirmation",
            consultation_id=consultation.pk,
            recipient_id=consultation.user_id,
            reason="confirmed",
        )
        == 0
    )
    conversation, _ = get_or_create_conversation(
        user=consultation.user, expert_id=consultation.expert.pk
    )
    send_message(
        sender=consultation.expert.user, conversation_id=conversation.pk, text="hi", client_id="x"
    )
    assert (
        emails.deliver_chat_message_email(
            recipient_id=consultation.user_id,
            sender_name="Erin Expert",
            excerpt="hi",
            conversation_url="http://x",
            conversation_id=conversation.pk,
        )
        == 0
    )
    assert mail.outbox == []
    # The expert kept the defaults and still gets theirs.
    assert (
        emails.deliver_consultation_email(
            template="booking_confirmation",
            consultation_id=consultation.pk,
            recipient_id=consultation.expert.user_id,
            reason="confirmed",
        )
        == 1
    )
