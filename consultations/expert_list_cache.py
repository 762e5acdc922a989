"""A short-lived shared cache of public expert-list pages, dropped whenever experts change.

The list is public (the same page for every visitor: no per-user field) and is read far
more often than experts change; building a page cost ~14 ms of CPU (filter form, count,
page query, two prefetches, serializer; py-spy, bench_core). A page is stored in the shared
cache (Redis in production) under its full URL for EXPERT_LIST_CACHE_SECONDS, tagged with
the list's version; one MGET reads the version and the page together, and a page of an
older version is a miss.

The version changes after commit (so no reader can cache the old rows under the new
version) whenever an Expert, its weekly hours, expertise areas or languages, or an area or
language itself is saved or deleted, and whenever an expert's soonest free slot is
recomputed (bookings, cancellations, calendar changes; `scheduling.refresh_next_available_at`
writes it with `.update()`, which sends no signal). Anything else that writes these tables
without signals (a bulk update in a shell, raw SQL) shows after at most the TTL.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

VERSION_KEY = "experts:list:version"


def ttl() -> int:
    return int(settings.EXPERT_LIST_CACHE_SECONDS)


def _page_key(url: str) -> str:
    return "experts:list:page:" + hashlib.sha256(url.encode()).hexdigest()


def lookup(url: str) -> tuple[Any, Any]:
    """(page data or None, the current version to store a fresh page under)."""
    key = _page_key(url)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1], version
    return None, version


def store(url: str, version: Any, data: Any) -> None:
    cache.set(_page_key(url), (version, data), ttl())


def _bump_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def invalidate() -> None:
    """Drop every cached page, once the current transaction commits.

    Once per transaction: saving a week of hours (several rows, a signal each) bumps the
    version once. The bump already queued is looked up in the connection's own on-commit
    list rather than remembered in a flag: Django drops a rolled-back savepoint's callbacks
    from that list, so a change after such a rollback queues its own bump.
    """
    if ttl() <= 0:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is _bump_version for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_bump_version, robust=True)


def _changed(sender: Any, **kwargs: Any) -> None:
    invalidate()


def connect_signals() -> None:
    from consultations.models import Expert, ExpertAvailability, ExpertiseArea, Language

    for model in (Expert, ExpertAvailability, ExpertiseArea, Language):
        post_save.connect(_changed, sender=model, dispatch_uid=f"expert-list-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"expert-list-del-{model.__name__}"
        )
    for through in (Expert.expertise_areas.through, Expert.languages.through):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"expert-list-{through}")
