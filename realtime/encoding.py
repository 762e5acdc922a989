"""JSON for socket frames and the per-user stream, written by orjson.

Frames and stream entries used `json.dumps(..., cls=DjangoJSONEncoder)`; encoding was about
4 % of a socket process's CPU per chat message (py-spy, bench_core saturation), orjson a
tenth of that. Values come out as before: datetimes, dates and times go through Django's
encoder (orjson would keep microseconds and write "+00:00" instead of "Z"), as do Decimals,
durations and lazy strings. Whatever orjson refuses (an int past 64 bits, a non-string dict
key, a type neither knows) is encoded by the standard library exactly as before, which
raises the same TypeError for a type it cannot encode. The output is compact and UTF-8
(no `\\uXXXX` escapes): the same JSON values, fewer bytes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder

from project.json_limits import orjson_reads_exactly

_django_default = DjangoJSONEncoder().default
# Datetimes and dataclasses go to Django's `default`, as with the standard library (which
# never encoded dataclasses: Django's encoder refuses them there too).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_django_default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()


def loads(raw: str | bytes) -> Any:
    # Entries the standard library wrote (the fallback in dumps_bytes) may hold what orjson
    # refuses (NaN) or would misread (an integer past 64 bits comes back a float).
    if orjson_reads_exactly(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)
