"""One JSON error shape for every API failure.

Body: {"error": {"code": ..., "message": ..., "fields": {field: [messages]}}} plus the
field keys at top level (DRF's own shape), so clients and tests can name the field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ServiceError(Exception):
    """Raised by services for a rule the caller broke; views turn it into a 4xx."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.extra = extra or {}


class NotAllowed(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        # Lists of per-item errors hold {} for the valid items: report the first bad one.
        return _first_message(next((item for item in detail if item), detail[0]))
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        msg = _first_message(value)
        return msg if key in ("detail", "non_field_errors") else f"{key}: {msg}"
    return str(detail)


def _field_messages(value: Any, prefix: str = "") -> list[str]:
    """A field's errors as flat strings, as the schema promises (`fields: {name: [str]}`).

    Nested errors (a list item, a nested object) arrive as dicts; their path is kept in
    the message: `{"0": ["Null characters are not allowed."]}` -> `["0: Null characters…"]`.
    """
    if isinstance(value, dict):
        return [m for key, item in value.items() for m in _field_messages(item, f"{prefix}{key}: ")]
    if isinstance(value, list):
        if any(isinstance(item, dict | list) for item in value):  # errors per list item
            return [
                m for i, item in enumerate(value) for m in _field_messages(item, f"{prefix}{i}: ")
            ]
        return [m for item in value for m in _field_messages(item, prefix)]
    return [f"{prefix}{value}"]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        body: dict[str, Any] = {
            "error": {"code": exc.code, "message": exc.message, "fields": fields},
            "detail": exc.message,
            **{k: v for k, v in fields.items()},
            **exc.extra,
        }
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        flat = {str(name): _field_messages(value) for name, value in fields.items()}
        response.data = {
            "error": {"code": "invalid", "message": _first_message(fields), "fields": flat},
            **fields,
        }
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {
            "error": {"code": str(code), "message": str(detail), "fields": {}},
            "detail": str(detail),
        }
    return response


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: API paths answer 404 in the API's JSON error shape, not Django's HTML page.

    URLs an API route cannot match (e.g. `/chat/-1/` against `<int:pk>`) never reach DRF,
    so without this a client that only understands JSON would get an HTML error page.
    """
    from django.views.defaults import page_not_found

    if not request.path.startswith("/api/"):
        return page_not_found(request, exception)
    return api_not_found(request)


def error_body(code: str, message: str) -> dict[str, Any]:
    """The error shape for a failure that no field caused (also used by project.workers)."""
    return {"error": {"code": code, "message": message, "fields": {}}, "detail": message}


def _json_error(code: str, message: str, status_code: int) -> HttpResponse:
    from django.http import JsonResponse

    return JsonResponse(error_body(code, message), status=status_code)


@csrf_exempt  # answers every method; a POST to an unknown URL is a 404, not a CSRF 403
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The catch-all of /api/ in project/urls.py: an unknown API URL, any method."""
    return _json_error("not_found", "Not found.", 404)


# Django's own error pages, for failures raised before or outside DRF's exception handler:
# a Host header not in ALLOWED_HOSTS, too many query/form fields, a body over
# DATA_UPLOAD_MAX_MEMORY_SIZE (SuspiciousOperation -> 400), Django's CSRF middleware (403),
# an exception DRF does not handle (500). API paths get the JSON error shape; other paths
# (the SPA, admin) keep Django's pages.


def bad_request_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400."""
    from django.views.defaults import bad_request

    if not request.path.startswith("/api/"):
        return bad_request(request, exception)
    return _json_error("bad_request", "Bad request.", 400)


def permission_denied_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403."""
    from django.views.defaults import permission_denied

    if not request.path.startswith("/api/"):
        return permission_denied(request, exception)
    return _json_error("permission_denied", "Permission denied.", 403)


def csrf_failure_view(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django's CSRF middleware refusing a request."""
    from django.views.csrf import csrf_failure

    if not request.path.startswith("/api/"):
        return csrf_failure(request, reason)
    return _json_error("csrf_failed", f"CSRF check failed: {reason}", 403)


def server_error_view(request: HttpRequest) -> HttpResponse:
    """handler500 (the traceback is logged by Django; the body says nothing more)."""
    from django.views.defaults import server_error

    if not request.path.startswith("/api/"):
        return server_error(request)
    return _json_error("server_error", "Server error.", 500)
