"""Serves the built React app's index.html for client-side routes."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie

_PLACEHOLDER = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Consult</title></head><body><main><h1>Consult</h1>
<p>The frontend has not been built yet. Run <code>bin/run</code> (it builds it) or
<code>npm --prefix frontend run build</code>. The API lives at <a href="/api/docs/">/api/docs/</a>.
</p></main></body></html>"""


@ensure_csrf_cookie
def spa_index(request: HttpRequest) -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    if index.exists():
        return HttpResponse(index.read_text(encoding="utf-8"))
    return HttpResponse(_PLACEHOLDER)
