"""Emails: rendered from templates/emails/<name>.html and .txt, sent as multipart/alternative.

Times are shown in the recipient's zone when we know it (the expert's IANA zone for the
expert) and in UTC otherwise, always labelled with the zone name.
Builders return unsent messages so callers can send several over one connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.mime.base import MIMEBase
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from consultations.policies import describe as describe_policy
from notifications.calendar import consultation_page_url, invite_attachment, meeting_url_for

if TYPE_CHECKING:
    from consultations.models import Consultation

EN_DASH = "\u2013"
REMINDER_LEADS = {"24h": "in 24 hours", "1h": "in 1 hour"}


def display_name(user: User) -> str:
    return user.get_full_name() or user.email or user.username


def recipient_zone(consultation: Consultation, recipient: User) -> str:
    if recipient.pk == consultation.expert.user_id:
        zone = consultation.expert.timezone or "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return "UTC"
        return zone
    return "UTC"


def format_span(start: datetime, end: datetime, zone: str) -> str:
    tz = ZoneInfo(zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = f"{local_start:%A} {local_start.day} {local_start:%B %Y}"
    end_text = f"{local_end:%H:%M}"
    if local_end.date() != local_start.date():
        end_text = f"{local_end:%a} {local_end.day} {local_end:%b} {end_text}"
    return f"{day}, {local_start:%H:%M}{EN_DASH}{end_text} ({zone})"


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
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
    message = EmailMultiAlternatives(
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
    zone = recipient_zone(consultation, recipient)
    return {
        "consultation": consultation,
        "recipient_name": expert.name if is_expert else display_name(recipient),
        "is_expert": is_expert,
        "other_party": display_name(consultation.user) if is_expert else expert.name,
        "expert_name": expert.name,
        "client_name": display_name(consultation.user),
        "topic": consultation.topic,
        "when": format_span(consultation.start_at, consultation.end_at, zone),
        "zone": zone,
        "meeting_url": meeting_url_for(consultation),
        "consultation_url": consultation_page_url(consultation),
        "status": consultation.get_status_display(),
        "is_pending": consultation.status == "pending",
        "price": consultation.price,
        "currency": consultation.currency,
        # The booking's own cancellation policy (its snapshot), in plain sentences.
        "policy_label": (consultation.policy or {}).get("label", ""),
        "policy_lines": describe_policy(consultation.policy),
        "policy_waived": consultation.policy_waived_at is not None,
    }


def booking_confirmation_email(
    consultation: Consultation, recipient: User, *, reason: str = "created"
) -> EmailMultiAlternatives:
    """reason: "created" (new booking), "confirmed" (expert accepted), "rescheduled"."""
    context = consultation_context(consultation, recipient)
    context["reason"] = reason
    if reason == "rescheduled":
        subject = f"Consultation moved: {context['when']}"
    elif context["is_pending"]:
        subject = (
            f"New booking request from {context['client_name']}"
            if context["is_expert"]
            else f"Booking request sent to {context['expert_name']}"
        )
    else:
        subject = f"Consultation confirmed: {context['when']}"
    return build_email(
        template="booking_confirmation",
        subject=subject,
        to=[recipient.email],
        context=context,
        attachments=[invite_attachment(consultation, method="REQUEST")],
    )


def reminder_email(
    consultation: Consultation, recipient: User, *, kind: str
) -> EmailMultiAlternatives:
    context = consultation_context(consultation, recipient)
    context["lead"] = REMINDER_LEADS.get(kind, "soon")
    context["kind"] = kind
    return build_email(
        template="reminder",
        subject=f"Reminder: your consultation starts {context['lead']}",
        to=[recipient.email],
        context=context,
        attachments=[invite_attachment(consultation, method="REQUEST")],
    )


def cancellation_email(
    consultation: Consultation, recipient: User, *, rescheduled_to: Consultation | None = None
) -> EmailMultiAlternatives:
    context = consultation_context(consultation, recipient)
    cancelled_by = consultation.cancelled_by
    context.update(
        {
            "reason": consultation.cancellation_reason,
            "cancelled_by": display_name(cancelled_by) if cancelled_by else "",
            "rescheduled": rescheduled_to is not None,
            "new_when": (
                format_span(rescheduled_to.start_at, rescheduled_to.end_at, context["zone"])
                if rescheduled_to
                else ""
            ),
            "refund_amount": getattr(consultation, "refund_amount", None),
            "payment_status": consultation.get_payment_status_display(),
        }
    )
    subject = (
        f"Consultation moved from {context['when']}"
        if rescheduled_to
        else f"Consultation cancelled: {context['when']}"
    )
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
    recipient: User, *, sender_name: str, excerpt: str, conversation_url: str
) -> EmailMultiAlternatives:
    return build_email(
        template="chat_message",
        subject=f"New message from {sender_name}",
        to=[recipient.email],
        context={
            "recipient_name": display_name(recipient),
            "sender_name": sender_name,
            "excerpt": excerpt,
            "conversation_url": conversation_url,
        },
    )


# --------------------------------------------------------------------------- delivery
# Called by notifications.tasks with ids, so each email reflects the row as it is when
# the worker runs (a booking cancelled meanwhile gets no stale confirmation).


def deliver_consultation_email(
    *, template: str, consultation_id: int, recipient_id: int, reason: str = "created"
) -> int:
    from consultations.models import Consultation

    consultation = (
        Consultation.objects.select_related("expert__user", "user", "cancelled_by")
        .filter(pk=consultation_id)
        .first()
    )
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if consultation is None or recipient is None or not recipient.email:
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
    else:
        raise ValueError(f"unknown consultation email template {template!r}")
    return send_messages([message])


def deliver_verification_result(*, recipient_id: int, outcome: str, notes: str = "") -> int:
    recipient = User.objects.filter(pk=recipient_id).first()
    if recipient is None or not recipient.email:
        return 0
    return send_messages([verification_result_email(recipient, outcome=outcome, notes=notes)])


def deliver_chat_message_email(
    *, recipient_id: int, sender_name: str, excerpt: str, conversation_url: str
) -> int:
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None or not recipient.email:
        return 0
    message = chat_message_email(
        recipient, sender_name=sender_name, excerpt=excerpt, conversation_url=conversation_url
    )
    return send_messages([message])
