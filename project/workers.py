"""gunicorn worker classes (deploy/gunicorn.conf.py).

HttpWorker serves HTTP (`gunicorn project.wsgi`); SocketWorker serves /ws/
(`-k project.workers.SocketWorker`).
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker
from uvicorn.workers import UvicornWorker

# The API's error codes for the statuses gunicorn answers by itself.
_CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "server_error",
    501: "not_implemented",
}


class _Captured:
    """Stands in for the client socket while gunicorn writes its HTML error page: writes are
    kept, anything else (the access log reads the socket's addresses) goes to the socket."""

    def __init__(self, client: socket.socket) -> None:
        self.client = client
        self.data = b""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data


def error_response(status_line: bytes, exc: BaseException | None) -> bytes:
    """The raw HTTP response for a request gunicorn refused, in the API's JSON error shape.

    `status_line` is the first line gunicorn chose ("HTTP/1.1 400 Bad Request"); its status
    and reason are kept, only the body changes.
    """
    from project.api_errors import error_body

    parts = status_line.decode("latin-1").split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 500
    reason = parts[2] if len(parts) > 2 else "Internal Server Error"
    # 5xx: say nothing about the failure; 4xx: gunicorn's reason names what was malformed.
    message = f"{reason}: {exc}" if status < 500 and exc is not None and str(exc) else reason
    body = json.dumps(error_body(_CODES.get(status, "bad_request"), message)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class HttpWorker(ThreadWorker):
    """gunicorn's threaded worker, answering the requests it refuses in the API's error shape.

    gunicorn checks the request line and headers before the application sees them (control
    bytes in a header value, a malformed request line, too many or too long headers, a bad
    chunked body) and answers with its own HTML page. Clients of the API expect JSON in the
    documented error shape for every 4xx, so the page gunicorn would write is captured (its
    status and logging are kept) and rewritten.
    """

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        captured = _Captured(client)
        super().handle_error(req, captured, addr, exc)  # a duck socket: gunicorn is untyped
        status_line = captured.data.split(b"\r\n", 1)[0]
        try:
            util.write_nonblock(client, error_response(status_line, exc))
        except Exception:
            self.log.debug("Failed to send error message.")


_ws = os.environ.get("UVICORN_WS", "websockets-sansio")
_WS_PROTOCOLS = {"websockets-sansio": "project.ws_protocol:CoalescingSansIOProtocol"}


class SocketWorker(UvicornWorker):
    """uvicorn under gunicorn for the socket processes.

    Per-message deflate is off: Consult's frames are small JSON events, where compressing
    each one costs CPU on the socket process (the bottleneck, bench/README.md) and saves little.
    UVICORN_WS picks uvicorn's WebSocket implementation (`websockets-sansio`, the default;
    `websockets`; `wsproto` if installed); bench/README.md has the measurement behind it.
    `websockets-sansio` runs as project.ws_protocol's subclass, which writes the frames one
    socket gets in a turn of the event loop together.
    """

    CONFIG_KWARGS = {
        **UvicornWorker.CONFIG_KWARGS,
        "ws_per_message_deflate": False,
        "ws": _WS_PROTOCOLS.get(_ws, _ws),
    }
