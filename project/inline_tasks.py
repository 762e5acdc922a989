"""Run queued follow-up tasks in the task that is already running, not as new messages.

A new booking's follow-ups run in one Celery task (consultations/services/announce.py);
its listeners then queue two email tasks. Each extra task costs the worker a message, a
dispatch to a pool process and an acknowledgement, more than sending the email itself
(bench/README.md, "Booking follow-ups in Celery"). Inside `inline()`, code that would
queue a task (notifications.receivers.enqueue) calls it at once instead; if that raises,
it queues the task after all, so Celery's retries still apply.

`inline(*rows)` also lends the rows the running task has just read to the tasks it runs
inline (`preloaded`): the booking's emails describe the row the follow-up task read a
moment earlier, with its people and profiles, instead of reading each again per email
(the reads, not the sending, were most of a booking's follow-up CPU). A queued task (a
retry) finds nothing lent and reads the rows itself, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db.models import Model

M = TypeVar("M", bound=Model)

_inline: ContextVar[bool] = ContextVar("inline_tasks", default=False)
_rows: ContextVar[dict[tuple[type[Model], object], Model] | None] = ContextVar(
    "inline_task_rows", default=None
)


@contextmanager
def inline(*rows: Model) -> Iterator[None]:
    token = _inline.set(True)
    rows_token = _rows.set({(type(row), row.pk): row for row in rows})
    try:
        yield
    finally:
        _rows.reset(rows_token)
        _inline.reset(token)


def preloaded(model: type[M], pk: object) -> M | None:
    """The row of `model` with `pk` lent by the running task, if any (see the docstring)."""
    rows = _rows.get()
    row = rows.get((model, pk)) if rows else None
    return row if isinstance(row, model) else None


def lent() -> tuple[Model, ...]:
    """The rows lent now, to lend again to a task run later (after commit)."""
    return tuple((_rows.get() or {}).values())


def active() -> bool:
    return _inline.get()
