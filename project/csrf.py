"""CSRF for anonymous browser POSTs that create a session (login, register).

DRF checks CSRF only for an already signed-in session, so a cross-site form could sign a
victim's browser into the attacker's account ("login CSRF"). Requests that look like a
browser's (they carry cookies, an Origin or Sec-Fetch-Site) must pass Django's CSRF check;
API clients without cookies (token clients, scripts) are unaffected.
"""

from __future__ import annotations

from rest_framework.authentication import CSRFCheck
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

BROWSER_HEADERS = ("HTTP_COOKIE", "HTTP_ORIGIN", "HTTP_SEC_FETCH_SITE")


def _no_response(request: object) -> None:
    return None


class CsrfForBrowsers(BasePermission):
    def has_permission(self, request, view) -> bool:
        django_request = request._request
        if not any(django_request.META.get(h) for h in BROWSER_HEADERS):
            return True
        # DRF's CSRFCheck returns the reason instead of a page; never calls the view.
        check = CSRFCheck(_no_response)  # type: ignore[arg-type]
        check.process_request(django_request)
        reason = check.process_view(django_request, _no_response, (), {})  # type: ignore[arg-type]
        if reason:
            # Raised, not returned: DRF would call an anonymous refusal "not_authenticated".
            raise PermissionDenied(f"CSRF check failed: {reason}.", code="csrf_failed")
        return True
