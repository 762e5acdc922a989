"""Failures answered outside DRF are in the API's JSON error shape too.

Django's own error pages (DisallowedHost, too many fields, its CSRF middleware, an
unhandled exception) and gunicorn's refusals of malformed requests (project.workers)
used to be HTML; the live fuzz run reported them as undocumented content types.
"""

from __future__ import annotations

import json
import socket

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from project import api_errors
from project.tests.wire import gunicorn_refusal

EXPERTS = "/api/v1/consultations/experts/"


def _assert_error_shape(response: HttpResponse, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["error"]["code"] == code and body["error"]["fields"] == {}


@pytest.mark.django_db
def test_disallowed_host_is_json_on_api_paths_and_html_elsewhere(settings):
    settings.DEBUG = False
    client = Client(HTTP_HOST="evil.example")
    _assert_error_shape(client.get(EXPERTS), 400, "bad_request")
    page = client.get("/")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_too_many_query_fields_is_a_json_400(settings):
    settings.DEBUG = False
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"f{i}=1" for i in range(11))
    _assert_error_shape(Client().get(f"{EXPERTS}?{query}"), 400, "bad_request")


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("api/boom/", _boom), path("boom/", _boom)]
handler500 = "project.api_errors.server_error_view"


@pytest.mark.django_db
def test_unhandled_exception_is_a_json_500_without_details(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/api/boom/")
    _assert_error_shape(response, 500, "server_error")
    assert b"boom" not in response.content
    assert client.get("/boom/")["Content-Type"].startswith("text/html")


def test_csrf_middleware_refusal_is_json_on_api_paths(rf):
    _assert_error_shape(
        api_errors.csrf_failure_view(rf.post("/api/v1/x/"), "no token"), 403, "csrf_failed"
    )
    assert api_errors.csrf_failure_view(rf.post("/admin/"), "no token").status_code == 403


def test_permission_denied_handler_is_json_on_api_paths(rf):
    _assert_error_shape(
        api_errors.permission_denied_view(rf.get("/api/v1/x/"), Exception()),
        403,
        "permission_denied",
    )


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        # A control byte in a cookie value (what the live fuzz sent; RFC 9110 forbids it).
        (b"GET /api/ HTTP/1.1\r\nHost: a\r\nCookie: sessionid=a\x0bb\r\n\r\n", 400, "bad_request"),
        (b"GET /api/ HTTP/1.1\r\nHost: a\r\nX(a): 1\r\n\r\n", 400, "bad_request"),
        (b"GET /api/\xff HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request"),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\n" + b"X-A: 1\r\n" * 200 + b"\r\n", 431, "headers_too_large"),
    ],
)
def test_requests_gunicorn_refuses_get_the_json_error_shape(raw, status, code):
    response = gunicorn_refusal(raw)
    assert response is not None
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str)


def test_a_well_formed_request_is_not_refused():
    assert gunicorn_refusal(b"GET /api/?a=1 HTTP/1.1\r\nHost: a\r\nCookie: s=\xe9\r\n\r\n") is None


def test_the_worker_writes_the_json_page_to_the_client_socket():
    """HttpWorker.handle_error writes to the real socket (gunicorn_refusal uses a stand-in)."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger
    from gunicorn.http.errors import InvalidHeader

    from project.workers import HttpWorker

    worker = HttpWorker.__new__(HttpWorker)
    worker.cfg = Config()
    worker.log = Logger(worker.cfg)
    server, client = socket.socketpair()
    with server, client:
        worker.handle_error(None, server, ("127.0.0.1", 1), InvalidHeader("COOKIE"))
        server.shutdown(socket.SHUT_WR)
        data = client.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"Content-Type: application/json" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body)["error"]["code"] == "bad_request"
