"""A Celery worker keeps its database connections (and pool) between tasks.

Celery's Django fixup closes every connection, and the whole pool, around each task unless
CELERY_DB_REUSE_MAX is set (project/settings/base.py); project/celery.py hands the
connection back around each task instead, as Django does around each request.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup

from project.celery import app


class _Task:
    def __init__(self, eager: bool) -> None:
        self.request = SimpleNamespace(is_eager=eager)


def _task(eager: bool) -> Any:
    return _Task(eager)


def test_the_fixup_does_not_close_connections_and_pool_around_every_task(monkeypatch):
    fixup = DjangoWorkerFixup(app)
    closes: list[int] = []
    monkeypatch.setattr(fixup, "_close_database", lambda: closes.append(1))
    for _ in range(100):
        fixup.on_task_prerun(_task(eager=False))
        fixup.on_task_postrun(_task(eager=False))
    assert closes == []  # was two closes per task (one pool torn down and rebuilt each)


@pytest.mark.parametrize("signal", [signals.task_prerun, signals.task_postrun])
def test_a_worker_task_hands_its_connection_back_but_an_eager_task_leaves_it(monkeypatch, signal):
    released: list[int] = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: released.append(1))
    signal.send(sender=_task(eager=False), task_id="t1", task=None, args=(), kwargs={})
    assert released == [1]
    # An eager task runs in its caller's transaction: closing there would break it.
    signal.send(sender=_task(eager=True), task_id="t2", task=None, args=(), kwargs={})
    assert released == [1]
