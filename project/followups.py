"""Follow-up effects that a redelivered task does not repeat.

A booking's follow-ups (the expert's notification, both emails, the webhooks) run in one
Celery task with acks_late (consultations.tasks.announce_consultation_created). A worker
killed mid-task has its message redelivered, and the follow-ups used to run again from the
start: a second notification, two more emails, new webhook deliveries.

Inside `tracking(key)` (the task, keyed by its message's task id), each effect runs under
`once(name)`: skipped when an earlier delivery of the task recorded it as done, recorded
once it is done. Recorded after the effect, not claimed before it, so nothing is ever lost:
only a worker killed between an effect and its record (microseconds, against the whole
task before) repeats that one effect. Outside `tracking`, `once` always runs the effect.

The records live in Redis (one hash per key, kept RECORD_DAYS; the default cache's client,
project/cache_redis.py), or in the default cache when that is not Redis. A record that
cannot be read or written is logged and the effect treated as not done: at least once, as
without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.cache import cache

from project.cache_redis import cache_redis, make_key

logger = logging.getLogger(__name__)

RECORD_DAYS = 2  # a redelivery comes within the broker's visibility timeout (1 h)


@dataclass
class _Records:
    key: str
    done: set[str] = field(default_factory=set)


_current: ContextVar[_Records | None] = ContextVar("followups", default=None)


def _load(key: str) -> set[str]:
    client = cache_redis()
    if client is not None:
        return {name.decode() for name in client.hkeys(make_key(key))}
    return set(cache.get(key) or ())


def _record(records: _Records, name: str) -> None:
    records.done.add(name)
    client = cache_redis()
    if client is None:
        cache.set(records.key, records.done, RECORD_DAYS * 86400)
        return
    redis_key = make_key(records.key)
    pipe = client.pipeline(transaction=False)
    pipe.hset(redis_key, name, 1)
    pipe.expire(redis_key, RECORD_DAYS * 86400)
    pipe.execute()


@contextmanager
def tracking(key: str) -> Iterator[None]:
    """Effects under `once` in this block are recorded under `key` (one per task run)."""
    key = f"followups:{key}"
    try:
        done = _load(key)
    except Exception:
        logger.warning("could not read follow-up records %s: running all", key, exc_info=True)
        done = set()
    token = _current.set(_Records(key, done))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> _Records | None:
    """The records of the running `tracking` block, for an effect run later (on commit)."""
    return _current.get()


_RUNNING = object()


@contextmanager
def once(name: str, records: object = _RUNNING) -> Iterator[bool]:
    """`with once("email:42") as todo: if todo: send()`: todo is False when an earlier
    delivery of the running task did it; done is recorded when the block ends without
    raising (and todo was True). `records`: those of `current()` taken earlier, for an
    effect deferred past the `tracking` block (an on-commit callback)."""
    if records is _RUNNING:
        records = _current.get()
    if not isinstance(records, _Records):
        yield True
        return
    if name in records.done:
        yield False
        return
    yield True
    try:
        _record(records, name)
    except Exception:
        logger.warning("could not record follow-up %s of %s", name, records.key, exc_info=True)
