"""Account emails, sent by the worker so the API answers alike whether the email exists."""

from __future__ import annotations

from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

RETRY = {
    "acks_late": True,
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 30,
    "max_retries": 5,
}


def _send(template: str, subject: str, to: str, context: dict[str, Any]) -> int:
    context = {
        "subject": subject,
        "site_url": settings.SITE_URL.rstrip("/"),
        "preferences_url": "",  # account emails are not optional
        **context,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message.send(fail_silently=False)


@shared_task(name="accounts.tasks.send_password_reset_email", **RETRY)  # type: ignore[untyped-decorator]
def send_password_reset_email(user_id: int) -> int:
    from accounts.selectors import public_name
    from accounts.services import password_reset_link

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    return _send(
        "password_reset",
        "Reset your Consult password",
        user.email,
        {"recipient_name": public_name(user), "link": password_reset_link(user), "hours": hours},
    )


@shared_task(name="accounts.tasks.send_email_change_confirmation", **RETRY)  # type: ignore[untyped-decorator]
def send_email_change_confirmation(user_id: int, new_email: str, token: str) -> int:
    from accounts.selectors import public_name
    from accounts.services import email_change_link

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    return _send(
        "email_change",
        "Confirm your new Consult email",
        new_email,
        {
            "recipient_name": public_name(user),
            "link": email_change_link(token),
            "new_email": new_email,
        },
    )
