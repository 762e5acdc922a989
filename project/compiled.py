"""One-row ORM reads whose SQL is compiled once per process instead of on every call.

Django compiles a queryset's SQL each time it runs it; for a read with joins that is more
CPU than running it. The token lookup of every authenticated API request (token, user and
profile in one join) spent about two thirds of its time compiling (cProfile of the booking
request, issue 12). A `CompiledRead` compiles its queryset once, with a stand-in for its
one parameter, and then runs that SQL with the real value, building the row's objects with
Django's own populators (select_related included), so callers get exactly what the
queryset would give. It runs on `project.prepared`'s cursor: the statement text never
changes, so PostgreSQL may prepare it once per connection too.

Only for querysets whose single parameter is the looked-up value: anything else
(annotations, prefetches, another parameter) is detected when compiling and the read then
simply runs the queryset every time. Column converters (a JSONField's decoding) run as the
ORM runs them. A `select_for_update()` queryset is compiled inside its transaction on the
first call, where Django checks that there is one; it is the caller's to keep it so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet

# Django's own select_related row builder; internal, so django-stubs leave it out.
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

from project.prepared import prepared_cursor

M = TypeVar("M", bound=Model)

# Stand in for the parameter while compiling; never sent to the database.
TEXT_PLACEHOLDER = "\x00compiled-read-placeholder\x00"
ID_PLACEHOLDER = -(2**62) + 7


@dataclass(frozen=True)
class _Plan:
    sql: str
    db: str
    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    populators: list[Any]
    converters: list[tuple[int, tuple[list[Any], Any]]]


class CompiledRead(Generic[M]):
    def __init__(
        self, build: Callable[[Any], QuerySet[M]], placeholder: object = TEXT_PLACEHOLDER
    ) -> None:
        """`build(value)`: the queryset for one value (at most one row is read);
        `placeholder`: a value of its type (ID_PLACEHOLDER for ids) to compile with."""
        self._build = build
        self._placeholder = placeholder
        self._plan: _Plan | None = None
        self._plain = False  # compiling showed the queryset must run as it is

    def first(self, value: object) -> M | None:
        plan = self._plan
        if plan is None and not self._plain:
            plan = self._plan = self._compile()
            self._plain = plan is None
        if plan is None:
            return next(iter(self._build(value)[:1]), None)
        with prepared_cursor() as cursor:
            cursor.execute(plan.sql, [value])
            row = cursor.fetchone()
        if row is None:
            return None
        if plan.converters:  # as SQLCompiler.apply_converters does
            row = list(row)
            connection = connections[plan.db]
            for pos, (convs, expression) in plan.converters:
                value = row[pos]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[pos] = value
        obj = plan.model.from_db(plan.db, plan.init_list, row[plan.start : plan.end])
        for populator in plan.populators:
            populator.populate(row, obj)
        return obj  # type: ignore[return-value]  # from_db builds the queryset's model

    def _compile(self) -> _Plan | None:
        qs = self._build(self._placeholder)[:1]
        # Private QuerySet state (not in django-stubs): anything it holds needs the ORM.
        extras = qs._prefetch_related_lookups or qs._known_related_objects  # type: ignore[attr-defined]
        if qs.db != "default" or extras:
            return None
        compiler = qs.query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()
        if tuple(params) != (self._placeholder,) or compiler.annotation_col_map:
            return None
        select, info = compiler.select, compiler.klass_info
        if info is None:
            return None
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return _Plan(
            sql=sql,
            db=qs.db,
            model=info["model"],
            start=start,
            end=end,
            init_list=[col.target.attname for col, _, _ in select[start:end]],
            populators=get_related_populators(info, select, qs.db),
            converters=list(compiler.get_converters([col for col, _, _ in select]).items()),
        )
