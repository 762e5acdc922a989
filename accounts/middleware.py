"""Server-rendered pages (the Django admin) show times in the signed-in person's zone.

The API always answers in UTC ISO 8601 and the browser formats; only Django's own templates
format times on the server, and they use the "current" time zone activated here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.path.startswith("/admin/") and user is not None and user.is_authenticated:
            from accounts.selectors import display_prefs

            timezone.activate(display_prefs(user).zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
