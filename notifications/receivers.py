"""Listeners for the domain signals: in-app notifications and (queued) emails.

Senders fire these signals from transaction.on_commit, so every row here is already
committed. Emails are never sent in the request: each is a Celery task enqueued after
the notification's own transaction commits. A failing listener logs and never breaks the
request that triggered it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction

from chat import signals as chat_signals
from consultations import signals as consultation_signals
from notifications.emails import display_name, no_show_terms
from notifications.models import Notification
from notifications.people import display_prefs_for, name_of
from notifications.services import create_notification
from project import followups, inline_tasks
from project.timefmt import format_span_for

if TYPE_CHECKING:  # types only: the listeners are connected before these apps' models load
    from chat.models import ExpertChatMessage
    from consultations.models import Consultation, Expert, ExpertApplication

logger = logging.getLogger(__name__)

Kind = Notification.Kind
CHAT_EXCERPT_CHARS = 280


def _listener(func: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except Exception:
            logger.exception("notification listener %s failed", func.__name__)

    return wrapper


def enqueue(task: Any, *args: object, countdown: int = 0) -> None:
    """`task` is a Celery task (celery ships no types, hence Any)."""

    # Decided now, by whoever queues (the callback may run later, after the block).
    run_here = not countdown and inline_tasks.active()
    rows = inline_tasks.lent() if run_here else ()
    # In a follow-up task, sent or queued once even if that task is delivered again.
    records = followups.current()

    def enqueue_email_task() -> None:
        with followups.once(f"task:{task.name}:{args}", records) as todo:
            if todo:
                send_or_queue()

    def send_or_queue() -> None:
        if run_here:
            # Already in a worker (a booking's follow-ups): send now, not as a new task,
            # with the rows that task lent (project/inline_tasks.py).
            # Called directly, a failing task raises; it is then queued for its retries.
            try:
                with inline_tasks.inline(*rows):
                    task(*args)
                return
            except Exception:
                logger.warning("%s failed inline: queued", task.name, exc_info=True)
        if countdown:
            task.apply_async(args=args, countdown=countdown)
        else:
            task.delay(*args)

    # robust: a broker outage is logged, never raised into the committed request.
    # (A named function, not a partial: Django's robust path logs callback.__qualname__.)
    transaction.on_commit(enqueue_email_task, robust=True)


def _consultation_url(consultation: Consultation) -> str:
    return f"/consultations/{consultation.pk}"


def _consultation_data(consultation: Consultation, **extra: Any) -> dict[str, Any]:
    return {
        "consultation_id": consultation.pk,
        "status": consultation.status,
        "start_at": consultation.start_at.isoformat(),
        "end_at": consultation.end_at.isoformat(),
        **extra,
    }


def _when_for(consultation: Consultation, user_id: int) -> str:
    person = consultation.user if user_id == consultation.user_id else consultation.expert.user
    prefs = display_prefs_for(consultation, person)
    return format_span_for(consultation.start_at, consultation.end_at, prefs)


def _participants_except(consultation: Consultation, actor: User | None) -> list[int]:
    ids = [consultation.user_id, consultation.expert.user_id]
    return [pk for pk in ids if actor is None or pk != actor.pk]


def _email_both(template: str, consultation: Consultation, reason: str = "created") -> None:
    from notifications.tasks import send_consultation_email

    for user_id in (consultation.user_id, consultation.expert.user_id):
        enqueue(send_consultation_email, template, consultation.pk, user_id, reason)


# --------------------------------------------------------------------------- consultations


@_listener
def on_consultation_created(sender: object, consultation: Consultation, **kwargs: Any) -> None:
    if consultation.rescheduled_from_id:
        return  # announced by the "rescheduled" status change, with the old time
    expert_user_id = consultation.expert.user_id
    client = name_of(consultation.user, consultation)
    pending = consultation.status == "pending"
    with followups.once("notification") as todo:
        if todo:
            create_notification(
                recipient=expert_user_id,
                kind=Kind.CONSULTATION_CREATED,
                title=(
                    f"New booking request from {client}"
                    if pending
                    else f"New booking from {client}"
                ),
                body=f"{consultation.topic} — {_when_for(consultation, expert_user_id)}",
                data=_consultation_data(consultation, client_name=client),
                url=_consultation_url(consultation),
            )
    _email_both("booking_confirmation", consultation, "created")


def _confirmed(consultation: Consultation, actor: User | None, **_: Any) -> None:
    for user_id in _participants_except(consultation, actor):
        create_notification(
            recipient=user_id,
            kind=Kind.CONSULTATION_CONFIRMED,
            title=f"Consultation with {_other_party(consultation, user_id)} confirmed",
            body=f"{consultation.topic} — {_when_for(consultation, user_id)}",
            data=_consultation_data(consultation),
            url=_consultation_url(consultation),
        )
    # Both get the invite, so it lands in the expert's calendar too.
    _email_both("booking_confirmation", consultation, "confirmed")


def _cancelled(consultation: Consultation, actor: User | None, **_: Any) -> None:
    reason = consultation.cancellation_reason
    for user_id in _participants_except(consultation, actor):
        # Said in the reader's terms: "Amélie Laurent cancelled", never "cancelled by" a
        # full name that may be the reader's own.
        if actor is not None:
            title = f"{name_of(actor, consultation)} cancelled your consultation"
        else:
            title = f"Consultation with {_other_party(consultation, user_id)} cancelled"
        body = _when_for(consultation, user_id)
        create_notification(
            recipient=user_id,
            kind=Kind.CONSULTATION_CANCELLED,
            title=title,
            body=f"{body}. Reason: {reason}" if reason else body,
            data=_consultation_data(consultation, reason=consultation.cancellation_reason),
            url=_consultation_url(consultation),
        )
    _email_both("cancellation", consultation)


def _rescheduled(consultation: Consultation, actor: User | None, **_: Any) -> None:
    from consultations.models import Consultation

    # Senders may name either side of the move; find both.
    new: Consultation | None
    old: Consultation | None
    if consultation.rescheduled_from_id:
        new, old = consultation, consultation.rescheduled_from
    else:
        old, new = consultation, Consultation.objects.filter(rescheduled_from=consultation).first()
    if new is None or old is None:
        logger.warning("rescheduled signal for %s without both sides", consultation.pk)
        return
    for user_id in _participants_except(new, actor):
        create_notification(
            recipient=user_id,
            kind=Kind.CONSULTATION_RESCHEDULED,
            title=f"Consultation with {_other_party(new, user_id)} moved",
            body=f"From {_when_for(old, user_id)} to {_when_for(new, user_id)}",
            data=_consultation_data(new, previous_consultation_id=old.pk),
            url=_consultation_url(new),
        )
    # The old event leaves the calendars (CANCEL, old UID); the new one arrives (REQUEST).
    _email_both("cancellation", old)
    _email_both("booking_confirmation", new, "rescheduled")


def _completed(consultation: Consultation, actor: User | None, **_: Any) -> None:
    create_notification(
        recipient=consultation.user_id,
        kind=Kind.CONSULTATION_COMPLETED,
        title=f"How was your consultation with {consultation.expert.name}?",
        body="Rate it to help other clients choose.",
        data=_consultation_data(consultation),
        url=_consultation_url(consultation),
    )


def _no_show(consultation: Consultation, actor: User | None, **_: Any) -> None:
    for user_id in _participants_except(consultation, actor):
        person = consultation.user if user_id == consultation.user_id else consultation.expert.user
        terms = no_show_terms(consultation, person)
        create_notification(
            recipient=user_id,
            kind=Kind.CONSULTATION_NO_SHOW,
            title=terms["title"],
            body=f"{_when_for(consultation, user_id)}. {terms['money']}",
            data=_consultation_data(consultation, no_show_party=consultation.no_show_party or ""),
            url=_consultation_url(consultation),
        )
    # Both get the email: it is the record of what is owed, and it takes the call out of
    # their calendars.
    _email_both("no_show", consultation, "no_show")


def _other_party(consultation: Consultation, user_id: int) -> str:
    if user_id == consultation.user_id:
        return consultation.expert.name
    return name_of(consultation.user, consultation)


STATUS_CHANGE_HANDLERS: dict[str, Callable[..., None]] = {
    "confirmed": _confirmed,
    "cancelled": _cancelled,
    "rescheduled": _rescheduled,
    "completed": _completed,
    "no_show": _no_show,
}


@_listener
def on_consultation_status_changed(
    sender: object,
    consultation: Consultation,
    old_status: str | None = None,
    new_status: str | None = None,
    actor: User | None = None,
    change: str | None = None,
    **kwargs: Any,
) -> None:
    handler = STATUS_CHANGE_HANDLERS.get(change or new_status or "")
    if handler is not None:
        handler(consultation, actor)


# --------------------------------------------------------------------------- verification


@_listener
def on_application_submitted(sender: object, application: ExpertApplication, **kwargs: Any) -> None:
    applicant = display_name(application.applicant)
    staff = User.objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)
    for staff_id in staff:
        create_notification(
            recipient=staff_id,
            kind=Kind.APPLICATION_SUBMITTED,
            title=f"New expert application from {applicant}",
            body=application.headline or application.expertise[:200],
            data={"application_id": application.pk, "applicant_id": application.applicant_id},
            url="/staff/applications",  # the frontend's staff review page
        )


APPLICATION_TITLES = {
    "approve": "Your expert application was approved",
    "reject": "Your expert application was not approved",
    "request_changes": "Your expert application needs changes",
}


@_listener
def on_application_reviewed(
    sender: object,
    application: ExpertApplication,
    decision: str,
    reviewer: User | None = None,
    **kwargs: Any,
) -> None:
    from notifications.tasks import send_verification_result_email

    notes = application.review_notes or ""
    create_notification(
        recipient=application.applicant_id,
        kind=Kind.APPLICATION_REVIEWED,
        title=APPLICATION_TITLES.get(decision, "Your expert application was reviewed"),
        body=notes,
        data={"application_id": application.pk, "decision": decision, "status": application.status},
        url="/experts/verification-status",
    )
    enqueue(send_verification_result_email, application.applicant_id, decision, notes)


@_listener
def on_expert_status_changed(
    sender: object, expert: Expert, old_status: str, new_status: str, **kwargs: Any
) -> None:
    from notifications.tasks import send_verification_result_email

    # Approval and rejection reach the applicant through the application review;
    # only suspension and reinstatement are news here.
    if new_status == "suspended":
        outcome, title = "suspended", "Your expert profile was suspended"
    elif old_status == "suspended":
        outcome, title = "reinstated", "Your expert profile is active again"
    else:
        return
    notes = expert.verification_notes or ""
    create_notification(
        recipient=expert.user_id,
        kind=Kind.EXPERT_STATUS_CHANGED,
        title=title,
        body=notes,
        data={"expert_id": expert.pk, "old_status": old_status, "new_status": new_status},
        url="/experts/verification-status",
    )
    enqueue(send_verification_result_email, expert.user_id, outcome, notes)


# --------------------------------------------------------------------------- chat


def _chat_excerpt(message: ExpertChatMessage) -> str:
    kind = getattr(message, "kind", "text")
    if kind == "image":
        return "[image]"
    if kind == "file":
        return f"[file: {getattr(message, 'attachment_name', '') or 'attachment'}]"
    text = (getattr(message, "text", "") or "").strip()
    if len(text) > CHAT_EXCERPT_CHARS:
        text = text[: CHAT_EXCERPT_CHARS - 1].rstrip() + "…"
    return text


def _chat_sender_name(message: ExpertChatMessage) -> str:
    conversation = message.conversation
    expert: Expert | None = getattr(conversation, "expert", None)
    if expert is not None and expert.user_id == message.sender_id:
        return expert.name
    return display_name(message.sender)


def chat_email_delay_seconds() -> int:
    return int(settings.CHAT_EMAIL_DELAY_SECONDS)


def chat_email_throttle_seconds() -> int:
    return settings.CHAT_EMAIL_THROTTLE_SECONDS


@_listener
def on_chat_message_created(
    sender: object, message: ExpertChatMessage, recipient_ids: list[int], **kwargs: Any
) -> None:
    from notifications.tasks import send_chat_message_email
    from realtime.presence import is_online

    path = f"/consultations/chat?conversation={message.conversation_id}"
    for recipient_id in recipient_ids:
        # An online recipient already sees the message, its unread badge and counts live;
        # a notification per message would only duplicate the chat's own unread state.
        if recipient_id == message.sender_id or is_online(recipient_id):
            continue
        # Offline: one notification and one email per conversation per quiet period,
        # not one per message of a burst (the chat's unread count still counts them all).
        throttle_key = f"notifications:chat-offline:{recipient_id}:{message.conversation_id}"
        if not cache.add(throttle_key, 1, chat_email_throttle_seconds()):
            continue
        # Looked up only here: the sender's name costs queries an online recipient never needs.
        sender_name = _chat_sender_name(message)
        excerpt = _chat_excerpt(message)
        create_notification(
            recipient=recipient_id,
            kind=Kind.CHAT_MESSAGE,
            title=f"New message from {sender_name}",
            body=excerpt,
            data={"conversation_id": message.conversation_id, "message_id": message.pk},
            url=path,
        )
        enqueue(
            send_chat_message_email,
            recipient_id,
            sender_name,
            excerpt,
            f"{settings.SITE_URL.rstrip('/')}{path}",
            message.conversation_id,
            # Sent a little later and counted then, so a burst is one email that says how
            # many messages wait ("5 unread messages"), or none if they were read meanwhile.
            countdown=chat_email_delay_seconds(),
        )


def connect() -> None:
    uid = "notifications."
    consultation_signals.consultation_created.connect(
        on_consultation_created, dispatch_uid=uid + "consultation_created"
    )
    consultation_signals.consultation_status_changed.connect(
        on_consultation_status_changed, dispatch_uid=uid + "consultation_status_changed"
    )
    consultation_signals.expert_application_submitted.connect(
        on_application_submitted, dispatch_uid=uid + "expert_application_submitted"
    )
    consultation_signals.expert_application_reviewed.connect(
        on_application_reviewed, dispatch_uid=uid + "expert_application_reviewed"
    )
    consultation_signals.expert_status_changed.connect(
        on_expert_status_changed, dispatch_uid=uid + "expert_status_changed"
    )
    chat_signals.chat_message_created.connect(
        on_chat_message_created, dispatch_uid=uid + "chat_message_created"
    )
