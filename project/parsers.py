"""Request body parsers for every API view: JSON with a nesting limit.

DRF's own JSONParser lets Python's recursive decoder raise RecursionError on `[` x 2000,
which became a 500 on any JSON endpoint (anonymous login included). This one answers a
400 in the project's error shape for that, for anything deeper than JSON_MAX_DEPTH, and
for NaN/Infinity. Views that set `parser_classes` use this class too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from project import json_limits


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding} text.") from exc
        try:
            return json_limits.loads(text)
        except json_limits.JSONTooDeep as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
