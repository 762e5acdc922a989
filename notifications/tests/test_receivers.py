"""notifications.receivers: each domain signal gives the right in-app rows and queued emails.

Signals are sent the way services send them (after commit); on-commit callbacks, including
the email tasks the receivers enqueue, are executed, and Celery runs eagerly.
"""

# ruff: noqa: RUF001 (expected strings use the en dash the output really uses)
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from icalendar import Calendar

from chat.signals import chat_message_created
from consultations import signals
from consultations.models import ExpertApplication
from consultations.tests.factories import make_consultation, make_expert, make_user
from notifications.calendar import invite_uid
from notifications.models import Notification
from realtime.presence import mark_connected

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
START = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def _run(signal, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            signal.send(sender=None, **kwargs)

    return _run


@pytest.fixture
def status_changed(run_on_commit):
    """Sends consultation_status_changed as the booking services do, callbacks run."""

    def _send(consultation, old_status, new_status, *, actor, change):
        run_on_commit(
            signals.consultation_status_changed,
            consultation=consultation,
            old_status=old_status,
            new_status=new_status,
            actor=actor,
            change=change,
        )

    return _send


@pytest.fixture
def client_user():
    return make_user(first_name="Uma", last_name="User", email="uma@example.com")


@pytest.fixture
def expert():
    user = make_user(first_name="Erin", last_name="Expert", email="erin@example.com")
    return make_expert(user, name="Erin Expert", timezone="Europe/Paris")


def _notes(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def _ics_method_and_uid(message) -> tuple[str, str]:
    part = next(p for p in message.message().walk() if p.get_content_type() == "text/calendar")
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    return str(calendar["method"]), str(calendar.walk("VEVENT")[0]["uid"])


def _calendar_parts(message) -> list:
    return [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]


def _mail_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_new_booking_notifies_the_expert_and_emails_both(run_on_commit, client_user, expert):
    c = make_consultation(user=client_user, expert=expert, start_at=START, status="pending")
    run_on_commit(signals.consultation_created, consultation=c)

    [note] = _notes(expert.user)
    assert note.kind == Kind.CONSULTATION_CREATED
    assert note.title == "New booking request from Uma User"
    assert note.data["consultation_id"] == c.pk and note.url == f"/consultations/{c.pk}"
    assert "Tue 4 Mar, 11:00–12:00 CET" in note.body  # 10:00 UTC in Paris, zone named
    assert _notes(client_user) == []  # the client made the booking: no badge for them

    assert len(mail.outbox) == 2
    [to_client] = _mail_to("uma@example.com")
    [to_expert] = _mail_to("erin@example.com")
    assert to_client.subject == "Request sent to Erin Expert for Tue 4 Mar, 10:00 UTC"
    assert to_expert.subject == "New request from Uma User for Tue 4 Mar, 11:00 CET"
    # A request is not yet an appointment: no invite, no way into the call.
    for message in (to_client, to_expert):
        assert not [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
        assert c.meeting_room_id not in message.body
        assert c.meeting_room_id not in message.alternatives[0][0]


def test_confirmation_notifies_the_client_only_and_sends_invites_to_both(
    status_changed, client_user, expert
):
    c = make_consultation(user=client_user, expert=expert, start_at=START)
    status_changed(c, "pending", "confirmed", actor=expert.user, change="confirmed")
    [note] = _notes(client_user)
    assert note.kind == Kind.CONSULTATION_CONFIRMED
    assert note.title == "Consultation with Erin Expert confirmed"
    assert _notes(expert.user) == []  # the actor is not told about their own action
    assert sorted(m.to[0] for m in mail.outbox) == ["erin@example.com", "uma@example.com"]
    assert sorted(m.subject for m in mail.outbox) == [
        "Confirmed: Tue 4 Mar, 10:00 UTC with Erin Expert",
        "Confirmed: Tue 4 Mar, 11:00 CET with Uma User",
    ]
    # The invite and the join link come with the confirmation.
    for message in mail.outbox:
        assert _ics_method_and_uid(message) == ("REQUEST", invite_uid(c))
        assert c.meeting_room_id in message.body


def test_cancellation_by_the_client(status_changed, client_user, expert):
    c = make_consultation(
        user=client_user,
        expert=expert,
        start_at=START,
        status="cancelled",
        cancellation_reason="Flu",
        cancelled_by=client_user,
    )
    status_changed(c, "confirmed", "cancelled", actor=client_user, change="cancelled")
    [note] = _notes(expert.user)
    assert note.kind == Kind.CONSULTATION_CANCELLED
    assert note.title == "Uma User cancelled your consultation"
    assert note.body == "Tue 4 Mar, 11:00–12:00 CET. Reason: Flu"
    assert _notes(client_user) == []
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert _ics_method_and_uid(message) == ("CANCEL", invite_uid(c))
        assert "Flu" in message.body
    # Each reader is told in their own terms.
    [to_client] = _mail_to("uma@example.com")
    [to_expert] = _mail_to("erin@example.com")
    assert to_client.subject == "You cancelled your consultation on Tue 4 Mar, 10:00 UTC"
    assert "You cancelled the consultation with Erin Expert" in to_client.body
    assert to_expert.subject == "Uma User cancelled your consultation on Tue 4 Mar, 11:00 CET"
    assert "Uma User cancelled your consultation on Tue 4 Mar, 11:00–12:00 CET" in to_expert.body


def test_reschedule_cancels_the_old_event_and_invites_to_the_new(
    run_on_commit, status_changed, client_user, expert
):
    old = make_consultation(user=client_user, expert=expert, start_at=START, status="cancelled")
    new = make_consultation(
        user=client_user,
        expert=expert,
        start_at=START + timedelta(days=1),
        status="pending",
        rescheduled_from=old,
    )
    # The booking service also announces the new row; that must not double the emails.
    run_on_commit(signals.consultation_created, consultation=new)
    status_changed(new, "confirmed", "pending", actor=client_user, change="rescheduled")
    [note] = _notes(expert.user)
    assert note.kind == Kind.CONSULTATION_RESCHEDULED
    assert note.data["consultation_id"] == new.pk
    assert note.data["previous_consultation_id"] == old.pk
    assert note.body == "From Tue 4 Mar, 11:00–12:00 CET to Wed 5 Mar, 11:00–12:00 CET"
    assert _notes(client_user) == []

    assert len(mail.outbox) == 4
    cancels = [m for m in mail.outbox if _calendar_parts(m)]
    assert sorted(_ics_method_and_uid(m) for m in cancels) == [("CANCEL", invite_uid(old))] * 2
    assert all("moved" in m.subject.lower() for m in mail.outbox)
    # The new time awaits the expert's confirmation: its invite comes with the confirmation.
    moved_to = [m for m in mail.outbox if not _calendar_parts(m)]
    assert sorted(m.subject for m in moved_to) == [
        "Consultation moved to Wed 5 Mar, 10:00 UTC",
        "Consultation moved to Wed 5 Mar, 11:00 CET",
    ]


def test_reschedule_signal_naming_the_old_row_works_too(status_changed, client_user, expert):
    old = make_consultation(user=client_user, expert=expert, start_at=START, status="cancelled")
    new = make_consultation(
        user=client_user, expert=expert, start_at=START + timedelta(days=1), rescheduled_from=old
    )
    status_changed(old, "confirmed", "cancelled", actor=None, change="rescheduled")
    assert {n.data["consultation_id"] for n in Notification.objects.all()} == {new.pk}
    assert len(_notes(client_user)) == 1 and len(_notes(expert.user)) == 1  # system actor
    assert len(mail.outbox) == 4


def test_completed_asks_the_client_to_rate_without_email(status_changed, client_user, expert):
    c = make_consultation(user=client_user, expert=expert, start_at=START, status="completed")
    status_changed(c, "confirmed", "completed", actor=expert.user, change="completed")
    [note] = _notes(client_user)
    assert note.kind == Kind.CONSULTATION_COMPLETED and "Erin Expert" in note.title
    assert mail.outbox == []


def test_client_no_show_says_who_missed_it_and_what_it_means_for_money(
    status_changed, client_user, expert
):
    c = make_consultation(
        user=client_user,
        expert=expert,
        start_at=START,
        status="no_show",
        no_show_party="client",
        cancellation_cause="client_no_show",
        refund_amount=Decimal("0.00"),
        price=Decimal("90.00"),
    )
    status_changed(c, "confirmed", "no_show", actor=expert.user, change="no_show")
    [note] = _notes(client_user)
    assert note.kind == Kind.CONSULTATION_NO_SHOW
    assert note.title == "You did not join your consultation with Erin Expert"
    assert "no refund is due" in note.body and "90.00" in note.body
    assert note.data["no_show_party"] == "client"
    assert _notes(expert.user) == []  # the expert ended the call: they know
    # Both get the email (the record of what is owed), each in their own terms.
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {client_user.email, expert.user.email}
    expert_mail = by_recipient[expert.user.email]
    assert expert_mail.subject.startswith("Uma User did not join your consultation")
    assert "you keep the price of" in expert_mail.body


def test_expert_no_show_tells_the_client_a_full_refund_is_owed(status_changed, client_user, expert):
    c = make_consultation(
        user=client_user,
        expert=expert,
        start_at=START,
        status="cancelled",
        no_show_party="expert",
        cancellation_cause="expert_no_show",
        refund_amount=Decimal("60.00"),
        price=Decimal("60.00"),
    )
    status_changed(c, "confirmed", "cancelled", actor=None, change="no_show")
    [note] = _notes(client_user)
    assert note.title == "Erin Expert did not join your consultation"
    assert "You are owed a full refund of" in note.body
    [to_expert] = _notes(expert.user)
    assert to_expert.title.startswith("You did not join your consultation with")
    assert "reliability" in to_expert.body


def test_a_broken_broker_never_breaks_the_committed_request(
    run_on_commit, client_user, expert, monkeypatch
):
    from notifications import tasks

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.send_consultation_email, "delay", refuse)
    c = make_consultation(user=client_user, expert=expert, start_at=START, status="pending")
    run_on_commit(signals.consultation_created, consultation=c)  # must not raise
    assert len(_notes(expert.user)) == 1
    assert mail.outbox == []


def _application(applicant, **fields) -> ExpertApplication:
    defaults = {"motivation": "m", "expertise": "Tax law", "experience": "10 years"}
    return ExpertApplication.objects.create(applicant=applicant, **(defaults | fields))


def test_submitted_application_notifies_active_staff_only(
    run_on_commit, user, staff_user, other_user
):
    inactive_staff = make_user(is_staff=True, is_active=False)
    application = _application(user, headline="Tax advisor")
    run_on_commit(signals.expert_application_submitted, application=application)
    [note] = _notes(staff_user)
    assert note.kind == Kind.APPLICATION_SUBMITTED
    assert note.data["application_id"] == application.pk
    assert "Uma User" in note.title
    assert note.url == "/staff/applications"  # a page the frontend routes
    assert _notes(other_user) == [] and _notes(user) == [] and _notes(inactive_staff) == []


@pytest.mark.parametrize(
    ("decision", "subject"),
    [
        ("approve", "Your expert application was approved"),
        ("reject", "Your expert application was not approved"),
        ("request_changes", "Your expert application needs changes"),
    ],
)
def test_reviewed_application_tells_the_applicant(
    run_on_commit, user, staff_user, decision, subject
):
    application = _application(user, review_notes="Add your licence.")
    run_on_commit(
        signals.expert_application_reviewed,
        application=application,
        decision=decision,
        reviewer=staff_user,
    )
    [note] = _notes(user)
    assert note.kind == Kind.APPLICATION_REVIEWED and note.title == subject
    assert note.data["decision"] == decision
    [message] = mail.outbox
    assert message.to == [user.email] and message.subject == subject
    assert "Add your licence." in message.body


def test_suspension_and_reinstatement_are_notified_approval_is_not(run_on_commit, expert):
    for old, new in [("pending", "approved"), ("approved", "suspended"), ("suspended", "approved")]:
        run_on_commit(
            signals.expert_status_changed, expert=expert, old_status=old, new_status=new, actor=None
        )
    titles = [n.title for n in _notes(expert.user)]
    assert titles == ["Your expert profile was suspended", "Your expert profile is active again"]
    assert [m.subject for m in mail.outbox] == titles


def _chat_message(sender, expert, text="Hello there", pk=1, conversation_id=42, kind="text"):
    # The receiver only reads these attributes of chat.models.ExpertChatMessage.
    return SimpleNamespace(
        pk=pk,
        conversation_id=conversation_id,
        conversation=SimpleNamespace(pk=conversation_id, expert=expert),
        sender=sender,
        sender_id=sender.pk,
        kind=kind,
        text=text,
        attachment_name="cv.pdf",
    )


def test_chat_message_to_an_offline_recipient_notifies_and_emails(
    run_on_commit, client_user, expert
):
    message = _chat_message(expert.user, expert)
    run_on_commit(chat_message_created, message=message, recipient_ids=[client_user.pk])
    [note] = _notes(client_user)
    assert note.kind == Kind.CHAT_MESSAGE
    assert note.title == "New message from Erin Expert"  # the expert's public name
    assert note.body == "Hello there"
    assert note.data == {"conversation_id": 42, "message_id": 1}
    [email] = mail.outbox
    assert email.to == ["uma@example.com"] and "Hello there" in email.body
    assert "conversation=42" in email.body


def test_chat_message_to_an_online_recipient_adds_nothing(run_on_commit, client_user, expert):
    mark_connected(client_user.pk)
    run_on_commit(
        chat_message_created,
        message=_chat_message(expert.user, expert),
        recipient_ids=[client_user.pk],
    )
    assert _notes(client_user) == []  # the live chat badge is the signal
    assert mail.outbox == []


def test_a_burst_of_chat_messages_sends_one_email_per_conversation(
    run_on_commit, client_user, expert
):
    for i in range(3):
        run_on_commit(
            chat_message_created,
            message=_chat_message(expert.user, expert, text=f"m{i}", pk=i + 1),
            recipient_ids=[client_user.pk],
        )
    run_on_commit(
        chat_message_created,
        message=_chat_message(expert.user, expert, pk=9, conversation_id=43),
        recipient_ids=[client_user.pk],
    )
    notes = _notes(client_user)
    assert sorted(n.data["conversation_id"] for n in notes) == [42, 43]  # one per conversation
    assert len(mail.outbox) == 2


def test_chat_attachment_excerpt_and_long_text(run_on_commit, client_user, expert):
    run_on_commit(
        chat_message_created,
        message=_chat_message(client_user, expert, kind="file"),
        recipient_ids=[expert.user.pk],
    )
    run_on_commit(
        chat_message_created,
        message=_chat_message(client_user, expert, text="x" * 1000, conversation_id=7, pk=2),
        recipient_ids=[expert.user.pk],
    )
    first, second = _notes(expert.user)
    assert first.body == "[file: cv.pdf]" and first.title == "New message from Uma User"
    assert len(second.body) == 280 and second.body.endswith("…")


def test_receivers_are_connected_once():
    from notifications import receivers

    receivers.connect()  # a second ready() must not double every notification
    ours = [
        entry
        for entry in signals.consultation_created.receivers
        if entry[0][0] == "notifications.consultation_created"
    ]
    assert len(ours) == 1


def test_the_booking_service_signals_reach_these_listeners(
    django_capture_on_commit_callbacks, client_user, expert
):
    from consultations.services.booking import cancel_consultation, confirm_consultation

    start = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    c = make_consultation(user=client_user, expert=expert, start_at=start, status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        confirm_consultation(consultation_id=c.pk, actor=expert.user)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_consultation(consultation_id=c.pk, actor=client_user, reason="Double-booked")

    assert [n.kind for n in _notes(client_user)] == [Kind.CONSULTATION_CONFIRMED]
    assert [n.kind for n in _notes(expert.user)] == [Kind.CONSULTATION_CANCELLED]
    invites = [_ics_method_and_uid(m) for m in _mail_to("uma@example.com")]
    assert invites == [("REQUEST", invite_uid(c)), ("CANCEL", invite_uid(c))]
    assert len(_mail_to("erin@example.com")) == 2


def test_the_chat_service_signal_reaches_the_chat_listener(
    django_capture_on_commit_callbacks, client_user, expert
):
    from chat.services import get_or_create_conversation, send_message

    conversation, _ = get_or_create_conversation(user=client_user, expert_id=expert.pk)
    with django_capture_on_commit_callbacks(execute=True):
        send_message(
            sender=client_user, conversation_id=conversation.pk, text="Hi!", client_id="c-1"
        )
    [note] = _notes(expert.user)
    assert note.kind == Kind.CHAT_MESSAGE and note.body == "Hi!"
    assert note.data["conversation_id"] == conversation.pk
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]  # the expert is offline
    assert _notes(client_user) == []


def test_the_offline_chat_email_is_queued_to_count_the_burst(
    run_on_commit, client_user, expert, monkeypatch, settings
):
    from notifications import tasks

    settings.CHAT_EMAIL_DELAY_SECONDS = 90
    queued: list = []
    monkeypatch.setattr(
        tasks.send_chat_message_email, "apply_async", lambda **kw: queued.append(kw)
    )
    run_on_commit(
        chat_message_created,
        message=_chat_message(expert.user, expert),
        recipient_ids=[client_user.pk],
    )
    [call] = queued
    assert call["countdown"] == 90
    assert call["args"][0] == client_user.pk and call["args"][-1] == 42
