"""project.compiled: CompiledRead gives what its queryset gives, CompiledInsert writes what
save() writes, each in one statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Value, signals
from django.db.models.functions import Upper
from django.db.models.sql.compiler import SQLInsertCompiler
from rest_framework.authtoken.models import Token

from accounts.models import Profile
from consultations.models import Consultation, Expert
from consultations.tests.factories import make_expert, make_user
from project.compiled import ID_PLACEHOLDER, CompiledInsert, CompiledRead

pytestmark = pytest.mark.django_db


def _tokens(key: str) -> QuerySet[Token]:
    return Token.objects.select_related("user", "user__profile").filter(key=key)


def _fields(obj: object) -> dict[str, object]:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def test_the_row_and_its_joins_equal_the_querysets(django_assert_num_queries):
    user = make_user(first_name="Ada")
    Profile.objects.update_or_create(user=user, defaults={"timezone": "Europe/Paris"})
    token = Token.objects.create(user=user)
    read = CompiledRead(_tokens)
    expected = _tokens(token.key).get()
    for _ in range(2):  # the first call compiles, the second reuses
        with django_assert_num_queries(1):
            got = read.first(token.key)
            assert got is not None
            assert _fields(got) == _fields(expected)
            assert _fields(got.user) == _fields(expected.user)
            assert _fields(got.user.profile) == _fields(expected.user.profile)
        assert got.user.profile.timezone == "Europe/Paris"


def test_a_missing_join_is_cached_as_missing(django_assert_num_queries):
    user = make_user()
    Profile.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    read = CompiledRead(_tokens)
    with django_assert_num_queries(1):
        got = read.first(token.key)
        assert got is not None and got.user.pk == user.pk
        with pytest.raises(Profile.DoesNotExist):
            got.user.profile  # noqa: B018  # known absent: no second query


def test_no_row_is_none():
    Token.objects.create(user=make_user())
    assert CompiledRead(_tokens).first("no-such-key") is None


def test_a_queryset_it_cannot_compile_runs_as_it_is():
    """An annotation needs the ORM's row handling: the read falls back to the queryset."""
    user = make_user()

    def counted(email: str) -> QuerySet[User]:
        return User.objects.annotate(n=Count("groups")).filter(email=email)

    read = CompiledRead(counted)
    for _ in range(2):
        got = read.first(user.email)
        assert got is not None and got.pk == user.pk and got.n == 0
    assert read.first("nobody@example.com") is None


def test_columns_with_converters_come_back_as_the_orm_gives_them(django_assert_num_queries):
    """An Expert row has a JSONField (decoded by a converter) and decimals."""
    expert = make_expert(session_lengths=[30, 60, 90])
    read = CompiledRead(lambda pk: Expert.objects.filter(pk=pk), ID_PLACEHOLDER)
    expected = Expert.objects.get(pk=expert.pk)
    for _ in range(2):
        with django_assert_num_queries(1):
            got = read.first(expert.pk)
        assert got is not None and _fields(got) == _fields(expected)
        assert got.session_lengths == [30, 60, 90]
    assert read.first(expert.pk + 1000) is None


# --------------------------------------------------------------------------- CompiledInsert


def _new_booking(expert: Expert, user: User, start: datetime, **fields: object) -> Consultation:
    end = start + timedelta(minutes=60)
    values: dict[str, object] = {
        "user": user,
        "expert": expert,
        "start_at": start,
        "end_at": end,
        "blocked_start": start,
        "blocked_end": end,
        "topic": "Compiled",
        "price": Decimal("61.50"),
        "meeting_room_id": "room-" + start.strftime("%H%M"),
        "policy": {"template": "flexible", "tiers": [[24, 100], [0, 50]]},
    }
    values.update(fields)
    return Consultation(**values)


def _row(pk: int) -> dict[str, object]:
    row: dict[str, object] = dict(Consultation.objects.filter(pk=pk).values().get())
    for key in ("id", "start_at", "end_at", "blocked_start", "blocked_end", "meeting_room_id"):
        row.pop(key)
    return row


def test_an_insert_writes_the_row_save_writes(django_assert_num_queries):
    expert, user = make_expert(), make_user()
    start = datetime(2031, 5, 6, 9, 0, tzinfo=UTC)
    saved = _new_booking(expert, user, start)
    saved.save(force_insert=True)
    insert = CompiledInsert(Consultation)
    compile_sql = SQLInsertCompiler.as_sql
    with mock.patch.object(
        SQLInsertCompiler, "as_sql", autospec=True, side_effect=compile_sql
    ) as compiled:
        for hours in (2, 4, 6):
            obj = _new_booking(expert, user, start + timedelta(hours=hours))
            with django_assert_num_queries(1):
                assert insert.insert(obj) is obj
            assert compiled.call_count == 1  # the first call compiles, the others reuse
            assert obj.pk is not None and not obj._state.adding and obj._state.db == "default"
            stored = Consultation.objects.get(pk=obj.pk)
            assert (stored.created_at, stored.updated_at) == (obj.created_at, obj.updated_at)
            moments = {"created_at": obj.created_at, "updated_at": obj.updated_at}
            assert _row(obj.pk) == _row(saved.pk) | moments


def test_an_insert_the_database_refuses_raises_as_save_does():
    expert, user = make_expert(), make_user()
    start = datetime(2031, 5, 6, 9, 0, tzinfo=UTC)
    insert = CompiledInsert(Consultation)
    insert.insert(_new_booking(expert, user, start))
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        insert.insert(_new_booking(expert, user, start + timedelta(minutes=30)))
    assert refused.value.__cause__.diag.constraint_name == "consultation_no_overlap"


def test_receivers_and_expressions_get_a_plain_save():
    expert, user = make_expert(), make_user()
    start = datetime(2031, 5, 6, 9, 0, tzinfo=UTC)
    insert = CompiledInsert(Consultation)
    heard: list[int] = []

    def receiver(sender: object, instance: Consultation, **kwargs: object) -> None:
        heard.append(instance.pk)

    signals.post_save.connect(receiver, sender=Consultation)
    try:
        obj = insert.insert(_new_booking(expert, user, start))
    finally:
        signals.post_save.disconnect(receiver, sender=Consultation)
    assert heard == [obj.pk]
    upper = insert.insert(
        _new_booking(expert, user, start + timedelta(hours=2), topic=Upper(Value("x")))
    )
    assert Consultation.objects.get(pk=upper.pk).topic == "X"
