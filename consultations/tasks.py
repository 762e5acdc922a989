"""Celery tasks of the consultations app (names are referenced by the beat schedule).

Task bodies stay thin: they call services in consultations.services.*.
"""

from celery import shared_task


@shared_task(name="consultations.tasks.cleanup_old_meetings", acks_late=True)
def cleanup_old_meetings() -> dict[str, int]:
    """Close meetings nobody closed; the rules live in services.meetings (idempotent)."""
    from consultations.services.meetings import close_stale_meetings

    return close_stale_meetings().as_dict()


@shared_task(name="consultations.tasks.send_consultation_reminders", acks_late=True)
def send_consultation_reminders() -> dict[str, int]:
    """Claim and send the 24 h / 1 h reminders now due (safe to run twice or concurrently)."""
    from consultations.services.reminders import send_due_reminders

    return send_due_reminders().as_dict()


@shared_task(name="consultations.tasks.check_upcoming_consultations", acks_late=True)
def check_upcoming_consultations() -> dict[str, int]:
    """Recovery sweep: resend reminders whose sender died or failed, then report what's ahead."""
    from consultations.services.reminders import upcoming_check

    return upcoming_check()


@shared_task(name="consultations.tasks.refresh_next_available", acks_late=True)
def refresh_next_available() -> int:
    """Move every expert's stored soonest slot forward once that slot is in the past."""
    from consultations.services.scheduling import refresh_stale_next_available

    return refresh_stale_next_available()


@shared_task(name="consultations.tasks.purge_idempotency_keys", acks_late=True)
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Key replies once no client would still retry them."""
    from consultations.services.idempotency import purge_expired

    return purge_expired()
