"""Emails: rendered from templates/emails/<name>.html and .txt, sent as multipart/alternative.

Every time is written for its reader (project.timefmt): in their zone, named, in their 12 or
24-hour clock. Every email carries a plain-text and an HTML part and a link to the
notification preferences (per kind: booking, reminder, chat), which are honoured here.
Subjects are written without folding artefacts (see ConsultEmail).
Builders return unsent messages so callers can send several over one connection.
"""

from __future__ import annotations

import email.policy
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from email.message import Message
from email.mime.base import MIMEBase
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from consultations.policies import describe as describe_policy
from notifications.calendar import consultation_page_url, invite_attachment, meeting_url_for
from notifications.people import display_prefs_for, name_of, wants_email
from project.timefmt import format_datetime_for, format_lead, format_span_for

if TYPE_CHECKING:
    from consultations.models import Consultation

# Subjects are written on one line (RFC 5322 allows 998 characters). Folding is what made
# them arrive as " Consultation ..." with a leading space: Django's Header encoding, and
# Python's folder too, break the line right after "Subject:" when the value is long.
_HEADER_POLICY = email.policy.SMTP.clone(max_line_length=998)
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


class ConsultEmail(EmailMultiAlternatives):
    def message(self, *args: Any, **kwargs: Any):
        msg = super().message(*args, **kwargs)
        msg.policy = _HEADER_POLICY
        Message.__delitem__(msg, "Subject")
        Message.__setitem__(msg, "Subject", " ".join(str(self.subject).split()))
        return msg


def display_name(user: User) -> str:
    return name_of(user)


def preferences_url() -> str:
    return f"{settings.SITE_URL.rstrip('/')}/account#notifications"


def format_money(amount: Decimal | None, currency: str) -> str:
    """ "€45.00", "$30.00", "120.00 CHF"."""
    value = Decimal(amount or 0).quantize(Decimal("0.01"))
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    context = {
        "site_url": settings.SITE_URL.rstrip("/"),
        "preferences_url": preferences_url(),
        **context,
    }
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return text, html


def build_email(
    *,
    template: str,
    subject: str,
    to: Iterable[str],
    context: dict[str, Any],
    attachments: Iterable[MIMEBase] = (),
) -> EmailMultiAlternatives:
    text, html = render_email(template, {"subject": subject, **context})
    message = ConsultEmail(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=list(to)
    )
    message.attach_alternative(html, "text/html")
    for part in attachments:
        message.attach(part)
    return message


def send_messages(messages: list[EmailMultiAlternatives]) -> int:
    if not messages:
        return 0
    # fail_silently=False: a failed send must raise so the Celery task retries it.
    with get_connection(fail_silently=False) as connection:
        return connection.send_messages(messages) or 0


def consultation_context(consultation: Consultation, recipient: User) -> dict[str, Any]:
    expert = consultation.expert
    is_expert = recipient.pk == expert.user_id
    prefs = display_prefs_for(consultation, recipient)
    other = consultation.user if is_expert else expert.user
    confirmed = consultation.status == "confirmed"
    return {
        "consultation": consultation,
        "recipient_name": name_of(recipient, consultation),
        "is_expert": is_expert,
        "other_party": name_of(other, consultation),
        "expert_name": expert.name,
        "client_name": name_of(consultation.user, consultation),
        "topic": consultation.topic,
        "when": format_span_for(consultation.start_at, consultation.end_at, prefs),
        "starts": format_datetime_for(consultation.start_at, prefs),
        "zone": prefs.zone,
        "prefs": prefs,
        # The way in is sent with the confirmation, never with a request still pending.
        "meeting_url": meeting_url_for(consultation) if confirmed else None,
        "consultation_url": consultation_page_url(consultation),
        "status": consultation.get_status_display(),
        "is_pending": consultation.status == "pending",
        "price": consultation.price,
        "currency": consultation.currency,
        # The booking's own cancellation policy (its snapshot), in plain sentences.
        "policy_label": (consultation.policy or {}).get("label", ""),
        "policy_lines": describe_policy(consultation.policy),
        "policy_waived": consultation.policy_waived_at is not None,
        "price_text": format_money(consultation.price, consultation.currency),
        "is_free": not consultation.price,
    }


def booking_confirmation_email(
    consultation: Consultation, recipient: User, *, reason: str = "created"
) -> EmailMultiAlternatives:
    """reason: "created" (new booking), "confirmed" (expert accepted), "rescheduled".

    A request still awaiting the expert says so ("Request sent" / "New request") and
    carries neither a calendar invite nor a join link; both come with the confirmation.
    """
    context = consultation_context(consultation, recipient)
    context["reason"] = reason
    starts = context["starts"]
    if reason == "rescheduled":
        subject = f"Consultation moved to {starts}"
    elif context["is_pending"]:
        subject = (
            f"New request from {context['client_name']} for {starts}"
            if context["is_expert"]
            else f"Request sent to {context['expert_name']} for {starts}"
        )
    else:
        subject = f"Confirmed: {starts} with {context['other_party']}"
    invite = [] if context["is_pending"] else [invite_attachment(consultation, method="REQUEST")]
    return build_email(
        template="booking_confirmation",
        subject=subject,
        to=[recipient.email],
        context=context,
        attachments=invite,
    )


def reminder_email(
    consultation: Consultation,
    recipient: User,
    *,
    kind: str,
    lead: timedelta | None = None,
) -> EmailMultiAlternatives:
    """`lead`: the real time left when it is sent; the label says that, not the kind."""
    context = consultation_context(consultation, recipient)
    if lead is None:
        lead = timedelta(hours=24) if kind == "24h" else timedelta(hours=1)
    context["lead"] = f"in {format_lead(lead.total_seconds())}"
    context["kind"] = kind
    return build_email(
        template="reminder",
        subject=f"Reminder: your consultation starts {context['lead']} ({context['starts']})",
        to=[recipient.email],
        context=context,
        attachments=[invite_attachment(consultation, method="REQUEST")],
    )


def _cancellation_terms(consultation: Consultation, recipient: User) -> dict[str, Any]:
    """Who cancelled, in the reader's terms, and what happens to the money, in amounts."""
    by = consultation.cancelled_by
    if by is not None and by.pk == recipient.pk:
        who, headline = "you", "You cancelled"
    elif by is not None:
        who, headline = "other", f"{name_of(by, consultation)} cancelled"
    else:
        who, headline = "system", "Cancelled"
    refund = consultation.refund_amount
    price = consultation.price or Decimal("0")
    if not price:
        money = "This consultation was free: nothing to refund."
    elif refund and refund > 0:
        owner = "you" if recipient.pk == consultation.user_id else "the client"
        full = " (full refund)" if refund >= price else ""
        money = (
            f"Price: {format_money(price, consultation.currency)}. Refund due to {owner}: "
            f"{format_money(refund, consultation.currency)}{full}."
        )
    else:
        money = (
            f"Price: {format_money(price, consultation.currency)}. No refund is due "
            "under the booking's cancellation policy."
        )
    return {"cancelled_by_who": who, "headline": headline, "money": money}


def no_show_terms(consultation: Consultation, recipient: User) -> dict[str, str]:
    """Who missed the call and what it means for the money, in the reader's terms.

    Used by the in-app notification and the email, so both say the same thing.
    """
    expert_missed = consultation.no_show_party == "expert"
    is_expert = recipient.pk == consultation.expert.user_id
    expert_name = consultation.expert.name
    client_name = name_of(consultation.user, consultation)
    currency = consultation.currency
    price = consultation.price or Decimal("0")
    refund = consultation.refund_amount or Decimal("0")
    policy = (consultation.policy or {}).get("label", "") or "cancellation"
    if expert_missed:
        title = (
            f"You did not join your consultation with {client_name}"
            if is_expert
            else f"{expert_name} did not join your consultation"
        )
        if not price:
            money = "It was free, so nothing is owed either way."
        elif is_expert:
            money = (
                f"The client is owed a full refund of {format_money(price, currency)}, and "
                "the missed call shows in your profile's reliability for 90 days."
            )
        else:
            money = (
                f"You are owed a full refund of {format_money(price, currency)}. "
                "You can book another time from the expert's page."
            )
    else:
        title = (
            f"{client_name} did not join your consultation"
            if is_expert
            else f"You did not join your consultation with {expert_name}"
        )
        kept = max(price - refund, Decimal("0"))
        if not price:
            money = "It was free, so nothing is owed either way."
        elif refund > 0:
            money = (
                f"Under the booking's {policy} policy the client is owed "
                f"{format_money(refund, currency)} back and "
                f"{'you keep' if is_expert else expert_name + ' keeps'} "
                f"{format_money(kept, currency)}."
            )
        else:
            money = (
                f"Under the booking's {policy} policy no refund is due: "
                f"{'you keep' if is_expert else expert_name + ' keeps'} the price of "
                f"{format_money(price, currency)}."
            )
    return {"title": title, "money": money}


def no_show_email(consultation: Consultation, recipient: User) -> EmailMultiAlternatives:
    context = consultation_context(consultation, recipient)
    context.update(no_show_terms(consultation, recipient))
    return build_email(
        template="no_show",
        subject=f"{context['title']} ({context['starts']})",
        to=[recipient.email],
        context=context,
        attachments=[invite_attachment(consultation, method="CANCEL")],
    )


def cancellation_email(
    consultation: Consultation, recipient: User, *, rescheduled_to: Consultation | None = None
) -> EmailMultiAlternatives:
    context = consultation_context(consultation, recipient)
    prefs = context["prefs"]
    context.update(
        {
            "reason": consultation.cancellation_reason,
            "rescheduled": rescheduled_to is not None,
            "new_when": (
                format_span_for(rescheduled_to.start_at, rescheduled_to.end_at, prefs)
                if rescheduled_to
                else ""
            ),
            "refund_amount": consultation.refund_amount,
            **_cancellation_terms(consultation, recipient),
        }
    )
    if rescheduled_to:
        subject = f"Consultation moved from {context['starts']}"
    elif context["cancelled_by_who"] == "you":
        subject = f"You cancelled your consultation on {context['starts']}"
    elif context["cancelled_by_who"] == "other":
        subject = f"{context['headline']} your consultation on {context['starts']}"
    else:
        subject = f"Consultation on {context['starts']} cancelled"
    return build_email(
        template="cancellation",
        subject=subject,
        to=[recipient.email],
        context=context,
        attachments=[invite_attachment(consultation, method="CANCEL")],
    )


VERIFICATION_SUBJECTS = {
    "approve": "Your expert application was approved",
    "reject": "Your expert application was not approved",
    "request_changes": "Your expert application needs changes",
    "suspended": "Your expert profile was suspended",
    "reinstated": "Your expert profile is active again",
}


def verification_result_email(
    recipient: User, *, outcome: str, notes: str = ""
) -> EmailMultiAlternatives:
    """outcome: approve | reject | request_changes (application) or suspended | reinstated."""
    return build_email(
        template="verification_result",
        subject=VERIFICATION_SUBJECTS.get(outcome, "Your expert verification status changed"),
        to=[recipient.email],
        context={
            "recipient_name": display_name(recipient),
            "outcome": outcome,
            "notes": notes,
            "status_url": f"{settings.SITE_URL.rstrip('/')}/experts/verification-status",
        },
    )


def chat_message_email(
    recipient: User,
    *,
    sender_name: str,
    excerpt: str,
    conversation_url: str,
    unread: int = 1,
) -> EmailMultiAlternatives:
    """`unread`: how many messages of this conversation wait unread when the email goes."""
    unread = max(unread, 1)
    subject = (
        f"New message from {sender_name}"
        if unread == 1
        else f"{unread} unread messages from {sender_name}"
    )
    return build_email(
        template="chat_message",
        subject=subject,
        to=[recipient.email],
        context={
            "recipient_name": display_name(recipient),
            "sender_name": sender_name,
            "excerpt": excerpt,
            "conversation_url": conversation_url,
            "unread": unread,
            "more": unread - 1,
        },
    )


# --------------------------------------------------------------------------- delivery
# Called by notifications.tasks with ids, so each email reflects the row as it is when
# the worker runs (a booking cancelled meanwhile gets no stale confirmation).


def _participant(consultation: Consultation, user_id: int) -> User | None:
    """The consultation's client or expert user if `user_id` is one of them (loaded with it)."""
    for person in (consultation.user, consultation.expert.user):
        if person.pk == user_id:
            return person
    return None


def deliver_consultation_email(
    *, template: str, consultation_id: int, recipient_id: int, reason: str = "created"
) -> int:
    from consultations.models import Consultation
    from project import inline_tasks

    # Sent inline by a booking's follow-up task: the row that task has just read, with its
    # people and their profiles (project/inline_tasks.py); otherwise read here.
    consultation = inline_tasks.preloaded(Consultation, consultation_id)
    if consultation is None:
        consultation = (
            Consultation.objects.select_related("expert__user", "user", "cancelled_by")
            .filter(pk=consultation_id)
            .first()
        )
    recipient = _participant(consultation, recipient_id) if consultation is not None else None
    if recipient is None:
        recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    elif not recipient.is_active:
        return 0
    if consultation is None or recipient is None or not recipient.email:
        return 0
    if not wants_email(recipient, "booking"):
        return 0
    Status = Consultation.Status
    if template == "booking_confirmation":
        wanted = (
            (Status.CONFIRMED,) if reason == "confirmed" else (Status.PENDING, Status.CONFIRMED)
        )
        if consultation.status not in wanted:
            return 0
        message = booking_confirmation_email(consultation, recipient, reason=reason)
    elif template == "cancellation":
        rescheduled_to = Consultation.objects.filter(rescheduled_from=consultation).first()
        message = cancellation_email(consultation, recipient, rescheduled_to=rescheduled_to)
    elif template == "no_show":
        if not consultation.no_show_party:
            return 0
        message = no_show_email(consultation, recipient)
    else:
        raise ValueError(f"unknown consultation email template {template!r}")
    return send_messages([message])


def deliver_verification_result(*, recipient_id: int, outcome: str, notes: str = "") -> int:
    recipient = User.objects.filter(pk=recipient_id).first()
    if recipient is None or not recipient.email:
        return 0
    return send_messages([verification_result_email(recipient, outcome=outcome, notes=notes)])


def deliver_chat_message_email(
    *,
    recipient_id: int,
    sender_name: str,
    excerpt: str,
    conversation_url: str,
    conversation_id: int | None = None,
) -> int:
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None or not recipient.email or not wants_email(recipient, "chat"):
        return 0
    unread = _unread_in(conversation_id, recipient.pk) if conversation_id is not None else None
    if unread == 0:
        return 0  # read meanwhile (on another device): nothing waits any more
    message = chat_message_email(
        recipient,
        sender_name=sender_name,
        excerpt=excerpt,
        conversation_url=conversation_url,
        unread=unread or 1,
    )
    return send_messages([message])


def _unread_in(conversation_id: int, reader_id: int) -> int | None:
    """How many messages of the conversation `reader_id` has not read; None if it is gone."""
    from chat.models import ExpertChatConversation

    row = (
        ExpertChatConversation.objects.filter(pk=conversation_id)
        .values("user_id", "user_unread", "expert_unread")
        .first()
    )
    if row is None:
        return None
    return int(row["user_unread"] if row["user_id"] == reader_id else row["expert_unread"])
