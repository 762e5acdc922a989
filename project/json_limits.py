"""Decode untrusted JSON (REST bodies, WebSocket frames) with a nesting limit.

Python's `json` recurses once per nesting level: `[` x 2000 raises RecursionError (a 500
over REST, a crashed socket over /ws/). Decoding here turns that, and anything nested
deeper than MAX_JSON_DEPTH, into a `JSONTooDeep` (a ValueError) callers answer with a 400
or an `error` event. Strict: NaN and Infinity are refused as they are not JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings

_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")
_NOT_DECODED = object()


class JSONTooDeep(ValueError):
    """The document nests objects/arrays deeper than allowed."""


def max_depth() -> int:
    return int(settings.JSON_MAX_DEPTH)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def depth_of(value: Any, limit: int) -> int:
    """Nesting depth of a decoded value (a scalar is 0); stops counting past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        if level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        stack.extend((child, level) for child in children if isinstance(child, dict | list))
    return deepest


def orjson_reads_exactly(text: str | bytes) -> bool:
    """False when `text` may hold an integer past 64 bits, which orjson reads as a float
    (the standard library keeps it an int); 19 digits in a row may be one."""
    if isinstance(text, str):
        return _LONG_DIGITS.search(text) is None
    return _LONG_DIGITS_BYTES.search(text) is None


def loads(text: str | bytes, *, limit: int | None = None) -> Any:
    """json.loads that raises JSONTooDeep (not RecursionError) for deep nesting.

    orjson decodes first (every chat frame passes here; the standard library took about
    2 % of a socket process's CPU per message). Whatever orjson refuses (NaN, a number past
    float range, a lone surrogate, UTF-16 bytes, nesting past its own limit), and any text
    that may hold an integer past 64 bits (which orjson would read as a float), goes to the
    standard library, which decides exactly as before.
    """
    limit = max_depth() if limit is None else limit
    value: Any = _NOT_DECODED
    if orjson_reads_exactly(text):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    if value is _NOT_DECODED:
        try:
            value = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError as exc:
            raise JSONTooDeep(f"JSON nested deeper than {limit} levels.") from exc
    if depth_of(value, limit) > limit:
        raise JSONTooDeep(f"JSON nested deeper than {limit} levels.")
    return value
