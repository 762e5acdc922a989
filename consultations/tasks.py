"""Celery tasks of the consultations app (names are referenced by the beat schedule).

Task bodies stay thin: they call services in consultations.services.*.
"""

from celery import shared_task


@shared_task(name="consultations.tasks.cleanup_old_meetings", acks_late=True)
def cleanup_old_meetings() -> dict[str, int]:
    """Close meetings nobody closed; the rules live in services.meetings (idempotent)."""
    from consultations.services.meetings import close_stale_meetings

    return close_stale_meetings().as_dict()
