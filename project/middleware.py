"""Request middleware for hostile or unusual HTTP clients."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": {}}, "detail": message},
        status=status,
    )


class ChunkedBodyMiddleware:
    """Make chunked request bodies (no Content-Length) readable instead of "empty".

    Django and DRF read Content-Length to size the body; a chunked upload has none, so a
    chunked multipart upload used to arrive as "no file". Under ASGI (daphne) the whole
    body is already spooled by the time a view runs, so its size is known: set
    CONTENT_LENGTH from it. A server that cannot give a seekable body gets a clear 411.
    Must run before anything reads the body (first in MIDDLEWARE).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get(
            "CONTENT_LENGTH"
        ):
            stream = getattr(request, "_stream", None)
            try:
                size = stream.seek(0, 2)  # type: ignore[union-attr]
                stream.seek(0)  # type: ignore[union-attr]
            except (AttributeError, OSError, ValueError):
                return _error(411, "length_required", "Send the body with a Content-Length header.")
            meta["CONTENT_LENGTH"] = str(size)
        return self.get_response(request)
