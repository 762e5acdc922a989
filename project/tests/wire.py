"""Send a schemathesis case to the WSGI app the way production's HTTP server would.

In production, gunicorn (project.workers.HttpWorker) parses every request before Django sees
it and refuses some on its own: control bytes in a header or cookie value, a malformed
request line or header name. Calling the WSGI app directly skips that layer, so the in-suite
fuzz could not see what those refusals look like (the live run found gunicorn's and daphne's
HTML 400 pages, undocumented for the API). Here each case is first written as the bytes
that would go on the wire and parsed by gunicorn's own parser; if gunicorn refuses it, the
response checked is the one HttpWorker writes, otherwise the app's.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import requests
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.http.parser import RequestParser
from schemathesis.models import Case
from schemathesis.transports import RequestsTransport
from schemathesis.transports.responses import WSGIResponse

from project.workers import HttpWorker

_CONFIG = Config()


def wire_bytes(prepared: requests.PreparedRequest) -> bytes:
    """The HTTP/1.1 request `requests` (like any HTTP client) would send for `prepared`."""
    lines = [f"{prepared.method} {prepared.path_url} HTTP/1.1", "Host: testserver"]
    lines += [f"{name}: {value!s}" for name, value in prepared.headers.items()]
    raw_body = prepared.body or b""
    body = raw_body.encode() if isinstance(raw_body, str) else bytes(raw_body)  # type: ignore[arg-type]
    if body and "Content-Length" not in prepared.headers:
        lines.append(f"Content-Length: {len(body)}")
    # http.client encodes header values as latin-1 as well.
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def gunicorn_refusal(raw: bytes) -> WSGIResponse | None:
    """HttpWorker's answer if gunicorn's parser refuses `raw`, else None."""
    try:
        next(RequestParser(_CONFIG, [raw], ("127.0.0.1", 40000)))
        return None
    except StopIteration:
        return None
    except Exception as exc:  # whatever the parser raises is what handle_error gets
        refused = exc
    written: list[bytes] = []

    class Client:
        def gettimeout(self) -> float:
            return 0.0

        def sendall(self, data: bytes) -> None:
            written.append(data)

    worker = HttpWorker.__new__(HttpWorker)  # only handle_error is used: no process, no app
    worker.cfg = _CONFIG
    worker.log = Logger(_CONFIG)
    worker.log.error_log.setLevel(logging.CRITICAL)  # the refusal is expected, not news
    worker.handle_error(None, Client(), ("127.0.0.1", 40000), refused)  # type: ignore[arg-type]
    head, _, body = b"".join(written).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [(name, value) for name, _, value in (h.partition(": ") for h in header_lines)]
    return WSGIResponse(response=body, status=int(status_line.split(" ")[1]), headers=headers)


def call_like_production(case: Case, headers: dict[str, str]) -> Any:
    """case.call_wsgi, unless gunicorn would have refused the request before the app."""
    kwargs = RequestsTransport().serialize_case(
        case, base_url=case.get_full_base_url(), headers=headers
    )
    try:
        prepared = requests.Request(**kwargs).prepare()
    except ValueError:  # requests refuses to send it at all (e.g. a newline in a header)
        return case.call_wsgi(headers=headers)
    refusal = gunicorn_refusal(wire_bytes(prepared))
    if refusal is None:
        return case.call_wsgi(headers=headers)
    refusal.request = prepared
    refusal.elapsed = timedelta(0)
    return refusal
