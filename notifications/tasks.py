"""Email tasks. Enqueued after commit by notifications.receivers; bodies call emails.py.

Transactional emails are at-least-once: a transient mail-server error retries with
backoff, and acks_late redelivers the task if the worker dies. (Reminders, which must not
repeat, use their own claimed send record: notifications.reminders.)
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from notifications import emails

RETRY_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 15 * 60,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name="notifications.tasks.send_consultation_email", **RETRY_OPTIONS)  # type: ignore[untyped-decorator]
def send_consultation_email(
    template: str, consultation_id: int, recipient_id: int, reason: str = "created"
) -> int:
    return emails.deliver_consultation_email(
        template=template,
        consultation_id=consultation_id,
        recipient_id=recipient_id,
        reason=reason,
    )


@shared_task(name="notifications.tasks.send_verification_result_email", **RETRY_OPTIONS)  # type: ignore[untyped-decorator]
def send_verification_result_email(recipient_id: int, outcome: str, notes: str = "") -> int:
    return emails.deliver_verification_result(
        recipient_id=recipient_id, outcome=outcome, notes=notes
    )


@shared_task(name="notifications.tasks.send_chat_message_email", **RETRY_OPTIONS)  # type: ignore[untyped-decorator]
def send_chat_message_email(
    recipient_id: int,
    sender_name: str,
    excerpt: str,
    conversation_url: str,
    conversation_id: int | None = None,
) -> int:
    return emails.deliver_chat_message_email(
        recipient_id=recipient_id,
        sender_name=sender_name,
        excerpt=excerpt,
        conversation_url=conversation_url,
        conversation_id=conversation_id,
    )


# Reminders: not RETRY_OPTIONS. A run never raises for one failed send (the claimed row
# records it and check_upcoming_consultations retries it), so a task retry would only repeat
# the sweep.
@shared_task(name="notifications.tasks.send_consultation_reminders", acks_late=True)  # type: ignore[untyped-decorator]
def send_consultation_reminders() -> dict[str, int]:
    """Claim and send the 24 h / 1 h reminders now due (safe to run twice or concurrently)."""
    from notifications.reminders import send_due_reminders

    return send_due_reminders().as_dict()


@shared_task(name="notifications.tasks.check_upcoming_consultations", acks_late=True)  # type: ignore[untyped-decorator]
def check_upcoming_consultations() -> dict[str, int]:
    """Recovery sweep: resend reminders whose sender died or failed, then report what's ahead."""
    from notifications.reminders import upcoming_check

    return upcoming_check()
