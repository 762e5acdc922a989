"""project.prepared.compiled_timestamps reads the instants Django's own loader reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from django.db import connection
from psycopg.pq import Format

from project.prepared import compiled_timestamps, prepared_cursor

pytestmark = pytest.mark.django_db
TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid

INSTANTS = [
    datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=2))),
    datetime(1999, 12, 31, 23, 0, 0, 1, tzinfo=UTC),
    datetime(2400, 2, 29, 12, 0, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
]


def _read(compiled: bool) -> tuple[list[datetime], type]:
    sql = "SELECT t FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS u(t, n) ORDER BY n"
    with prepared_cursor() as cursor:
        if compiled:
            compiled_timestamps(cursor)
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
        cursor.execute(sql, [INSTANTS])
        return [row[0] for row in cursor.fetchall()], loader


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders")
def test_the_compiled_loader_reads_the_same_instants():
    (django_read, django_loader), (compiled_read, loader) = _read(False), _read(True)
    assert loader is psycopg.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    assert loader is not django_loader
    assert compiled_read == django_read == INSTANTS
    # The same zone object as Django's (the connection's zone is UTC): nothing tells the
    # two reads apart.
    assert [v.tzinfo for v in compiled_read] == [v.tzinfo for v in django_read]
    assert [v.isoformat() for v in compiled_read] == [v.isoformat() for v in django_read]
    # Only on the cursor it was set on: the next cursor reads with Django's loader again.
    assert _read(False)[1] is django_loader
