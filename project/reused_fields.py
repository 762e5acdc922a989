"""Serializer fields built once per class and thread, instead of once per instance.

DRF deep-copies every declared field for each serializer instance, and a ModelSerializer
also introspects the model to build the rest: 12 % of a socket process's CPU at chat
saturation and ~19 % of a booking request (py-spy, bench_core). Bound fields keep no state
between uses, so one set per class serves every instance. It is re-bound (`field.parent`)
to whichever instance reads `fields`, which is why it is per thread: within one thread
serializers run one at a time. Only for serializers whose instances never change their
own fields (no `self.fields.pop(...)` in `__init__`).
"""

from __future__ import annotations

import threading
from typing import Any, cast

from rest_framework.serializers import BaseSerializer
from rest_framework.utils.serializer_helpers import BindingDict

_local = threading.local()


class ReusedFieldsMixin:
    @property
    def fields(self) -> Any:
        me = cast(BaseSerializer, self)  # the mixin only ever sits on a serializer
        cache: dict[type, BindingDict] = _local.__dict__.setdefault("fields", {})
        fields = cache.get(type(self))
        if fields is None:
            fields = BindingDict(me)
            for name, field in me.get_fields().items():  # type: ignore[attr-defined]
                fields[name] = field
            cache[type(self)] = fields
        elif fields.serializer is not me:
            fields.serializer = me
            for field in fields.values():
                field.parent = me
        return fields
