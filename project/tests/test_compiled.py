"""project.compiled.CompiledRead gives what its queryset gives, in one statement."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from rest_framework.authtoken.models import Token

from accounts.models import Profile
from consultations.models import Expert
from consultations.tests.factories import make_expert, make_user
from project.compiled import ID_PLACEHOLDER, CompiledRead

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
