"""Untrusted JSON: any text decodes or raises ValueError; nesting is limited everywhere."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from project import json_limits

scalars: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=20,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@given(json_values)
def test_valid_documents_round_trip(value):
    text = json.dumps(value)
    depth = json_limits.depth_of(value, 10_000)
    if depth <= 32:
        assert json_limits.loads(text, limit=32) == value
    else:
        with pytest.raises(json_limits.JSONTooDeep):
            json_limits.loads(text, limit=32)


@settings(max_examples=300)
@given(st.text(alphabet='[]{}":,0123456789 ntrufalse\\', max_size=200) | st.text(max_size=50))
def test_any_text_decodes_or_raises_value_error(text):
    try:
        json_limits.loads(text, limit=8)
    except ValueError:
        pass  # JSONTooDeep is a ValueError too: never RecursionError or anything else


@given(st.integers(min_value=1, max_value=60))
def test_depth_limit_is_exact(depth):
    if depth <= 32:
        assert json_limits.depth_of(json_limits.loads(nested(depth), limit=32), 99) == depth
    else:
        with pytest.raises(json_limits.JSONTooDeep):
            json_limits.loads(nested(depth), limit=32)


@pytest.mark.parametrize("depth", [2000, 100_000])
def test_pathological_nesting_is_refused_not_a_recursion_error(depth):
    with pytest.raises(json_limits.JSONTooDeep):
        json_limits.loads("[" * depth)
    with pytest.raises(json_limits.JSONTooDeep):
        json_limits.loads(nested(depth))


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_non_json_constants_are_refused(text):
    with pytest.raises(ValueError):
        json_limits.loads(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[1e400]", [float("inf")]),  # past float range: the standard library's inf
        ("[123456789012345678901234567890]", [123456789012345678901234567890]),
        ('"\\ud800"', "\ud800"),  # a lone surrogate escape
        ('{"a": 1, "a": 2}', {"a": 2}),
    ],
)
def test_what_orjson_refuses_decodes_as_before(text, value):
    assert json_limits.loads(text) == value == json.loads(text)


def test_constants_are_still_refused():
    for text in ("NaN", "[Infinity]", '{"x": -Infinity}'):
        with pytest.raises(ValueError):
            json_limits.loads(text)
