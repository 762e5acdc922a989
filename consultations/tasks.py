"""Celery tasks of the consultations app (names are referenced by the beat schedule).

Task bodies stay thin: they call services in consultations.services.*. Reminders are
delivered by the notifications app (notifications.tasks).
"""

from contextlib import nullcontext
from typing import Any

from celery import Task, shared_task


@shared_task(name="consultations.tasks.cleanup_old_meetings", acks_late=True)  # type: ignore[untyped-decorator]
def cleanup_old_meetings() -> dict[str, int]:
    """Close meetings nobody closed; the rules live in services.meetings (idempotent)."""
    from consultations.services.meetings import close_stale_meetings

    return close_stale_meetings().as_dict()


@shared_task(name="consultations.tasks.refresh_next_available", acks_late=True)  # type: ignore[untyped-decorator]
def refresh_next_available() -> int:
    """Move every expert's stored soonest slot forward once that slot is in the past."""
    from consultations.services.scheduling import refresh_stale_next_available

    return refresh_stale_next_available()


@shared_task(name="consultations.tasks.purge_idempotency_keys", acks_late=True)  # type: ignore[untyped-decorator]
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Key replies once no client would still retry them."""
    from consultations.services.idempotency import purge_expired

    return purge_expired()


@shared_task(name="consultations.tasks.compute_reliability", acks_late=True)  # type: ignore[untyped-decorator]
def compute_reliability() -> int:
    """Recompute every approved expert's 90-day reliability signals and ranking adjustment."""
    from consultations.services.reliability import refresh_all

    return refresh_all()


class _SnapshotTask(Task):  # type: ignore[misc]  # celery ships no types
    """Sent with a fixed `argsrepr`: Celery otherwise writes a repr of the booking's
    snapshot (the client's notes and topic included) into every message, for logs and
    monitoring to show; building it was a fifth of the request's Celery publish (issue 12)."""

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        options.setdefault("argsrepr", "(<booking snapshot>,)")
        options.setdefault("kwargsrepr", "{}")
        return super().apply_async(args, kwargs, **options)


@shared_task(  # type: ignore[untyped-decorator]
    name="consultations.tasks.announce_consultation_created",
    acks_late=True,
    base=_SnapshotTask,
    bind=True,
)
def announce_consultation_created(self: Task, snapshot: str) -> None:
    """A new booking's follow-ups (notification, emails, webhooks), off the request path."""
    from consultations.services.announce import load, send_created
    from project import followups
    from project.inline_tasks import inline

    booked, current = load(snapshot)
    # A redelivery (acks_late: the worker died mid-task) skips what the first delivery did
    # (project/followups.py). Keyed by the message's task id, which a redelivery keeps and
    # nothing else shares: a booking id comes back after a database is recreated (a
    # developer's reset, the e2e runs), and its old records then silenced the new booking's
    # follow-ups. Called in the request (no message) there is nothing to redeliver.
    task_id = self.request.id
    tracked = followups.tracking(f"consultation-created:{task_id}") if task_id else nullcontext()
    # The emails its listeners queue are sent here, not as two more tasks, from the row
    # just read rather than a fresh read each.
    with tracked, inline(*([current] if current is not None else [])):
        send_created(booked)
