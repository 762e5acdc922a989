"""Run queued follow-up tasks in the task that is already running, not as new messages.

A new booking's follow-ups run in one Celery task (consultations/services/announce.py);
its listeners then queue two email tasks. Each extra task costs the worker a message, a
dispatch to a pool process and an acknowledgement, more than sending the email itself
(bench/README.md, "Booking follow-ups in Celery"). Inside `inline()`, code that would
queue a task (notifications.receivers.enqueue) calls it at once instead; if that raises,
it queues the task after all, so Celery's retries still apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_inline: ContextVar[bool] = ContextVar("inline_tasks", default=False)


@contextmanager
def inline() -> Iterator[None]:
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def active() -> bool:
    return _inline.get()
