"""One-row ORM reads and inserts whose SQL is compiled once per process, not on every call.

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

from django.db import connections, transaction
from django.db.models import Model, QuerySet, signals

# Django's own select_related row builder; internal, so django-stubs leave it out.
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.models.sql.subqueries import InsertQuery

from project.prepared import compiled_timestamps, prepared_cursor

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
            # Same datetimes as Django's loader gives, from compiled code (project/prepared.py).
            compiled_timestamps(cursor)
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


class CompiledInsert(Generic[M]):
    """`obj.save(force_insert=True)` for a new row of `model`, with the INSERT's SQL
    compiled once per process and run on `project.prepared`'s cursor.

    Django compiles an INSERT on every save, and its client-side binding quotes every value
    into the text: for the booking's two inserts that was about a tenth of the request's CPU
    (py-spy, issue 12). The statement is Django's own (its compiler, compiled from the first
    row); each call prepares the values as Django does (`pre_save`, `get_db_prep_save`) and
    sets the new primary key. Anything the one statement cannot express runs `save()`
    instead: another database, a primary key already set, inheritance, database-side
    defaults or returned columns, a value that is an expression, pre/post_save receivers.
    """

    def __init__(self, model: type[M]) -> None:
        self._model = model
        self._sql: str | None = None
        self._fields: list[Any] = []
        self._plain = not self._simple_model(model)

    @staticmethod
    def _simple_model(model: type[Model]) -> bool:
        meta = model._meta
        return (
            not meta.parents
            and not meta.proxy
            and meta.auto_field is not None
            and meta.auto_field is meta.pk
            and list(meta.db_returning_fields) == [meta.pk]
        )

    def insert(self, obj: M) -> M:
        model = self._model
        if (
            self._plain
            or type(obj) is not model
            or obj.pk is not None
            or connections["default"].vendor != "postgresql"
            or signals.pre_save.has_listeners(model)
            or signals.post_save.has_listeners(model)
        ):
            obj.save(force_insert=True)
            return obj
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        if self._sql is None:
            self._compile(obj)
            if self._sql is None:
                obj.save(force_insert=True)
                return obj
        connection = connections["default"]
        params = []
        for field in self._fields:
            value = field.pre_save(obj, add=True)
            if hasattr(value, "resolve_expression"):  # compiled into the SQL, not a value
                obj.save(force_insert=True)
                return obj
            params.append(field.get_db_prep_save(value, connection=connection))
        with transaction.mark_for_rollback_on_error(), prepared_cursor() as cursor:
            cursor.execute(self._sql, params)
            row = cursor.fetchone()
        setattr(obj, model._meta.pk.attname, row[0])
        obj._state.db = "default"
        obj._state.adding = False
        return obj

    def _compile(self, obj: M) -> None:
        meta = self._model._meta
        fields = [
            f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field
        ]
        if any(hasattr(f, "get_placeholder") for f in fields):
            self._plain = True
            return
        query = InsertQuery(self._model)
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(using="default")
        compiler.returning_fields = [meta.pk]
        statements = compiler.as_sql()
        # One statement with one parameter per field: no value was compiled into the SQL.
        if len(statements) != 1 or len(statements[0][1]) != len(fields):
            self._plain = True
            return
        self._fields = fields
        self._sql = statements[0][0]
