"""Cursors whose statements PostgreSQL prepares once per connection.

Django binds parameters on the client (psycopg's ClientCursor), so PostgreSQL parses and
plans every statement anew. For the chat send's two statements (a CTE that allocates the
seq, checks the retry and inserts; the recipient's unread count) planning cost more than
running them: about 1 ms of PostgreSQL CPU per message of the 2 it took in all, measured
on the bench database. A cursor made here binds on the server and asks psycopg to prepare
the statement, once per connection (pooled connections keep it); PostgreSQL switches to its
generic plan after five runs. Only hot statements that are always the same text use it.

DB_PREPARED_STATEMENTS=0 turns it off, e.g. behind a PgBouncer in transaction mode that
does not track prepared statements (before 1.21, or `max_prepared_statements = 0`).
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import connection


@functools.cache
def _cursor_class() -> Any:
    from django.db.backends.postgresql import base

    class PreparedCursor(base.ServerBindingCursor):  # type: ignore[name-defined]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            result = super().execute(query, params, **kwargs)
            if connection.queries_logged and self._query is None:  # type: ignore[has-type]
                # psycopg leaves the query unset when it runs a prepared statement, and
                # Django's query log (DEBUG, CaptureQueriesContext) reads it from there.
                self._query = self._convert_query(query, params)
            return result

    return PreparedCursor


def prepared_cursor() -> Any:
    """A Django cursor (query logging and execute wrappers apply) for one hot statement."""
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off for the connection (None), which would also
        # ignore prepare=True. Its own cursors bind on the client and never prepare, so
        # this changes nothing for them.
        raw.prepare_threshold = 5
    # Django's own wrapping of a new cursor (thread check, logging, execute wrappers).
    return connection._prepare_cursor(_cursor_class()(raw))  # type: ignore[attr-defined]


@functools.cache
def _compiled_timestamptz_loader() -> Any:
    from psycopg import adapters, postgres
    from psycopg.pq import Format

    return adapters.get_loader(postgres.types["timestamptz"].oid, Format.TEXT)


def compiled_timestamps(cursor: Any) -> None:
    """Read this cursor's timestamptz columns with psycopg's compiled loader.

    Django reads every timestamptz with a pure-Python loader (it subclasses psycopg's
    Python one to pin the zone): a third of the booking's calendar read, which parses a
    busy expert's day of bookings (py-spy, issue 12; ~17x slower per value measured). With
    psycopg-binary installed, psycopg's own loader is compiled and gives the same
    datetimes, zone object included, since Django keeps the connection's zone at UTC
    (USE_TZ; without it Django strips the zone, and this does nothing).
    """
    if connection.vendor != "postgresql" or not settings.USE_TZ:
        return
    raw = getattr(cursor, "cursor", cursor)  # Django's wrapper or psycopg's cursor
    raw.adapters.register_loader("timestamptz", _compiled_timestamptz_loader())
