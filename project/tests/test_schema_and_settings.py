"""OpenAPI schema, Swagger UI, SPA fallback and the production secret-key guard."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_schema_lists_the_api(api_client):
    res = api_client.get("/api/schema/")
    assert res.status_code == 200
    schema = yaml.safe_load(res.content)
    assert schema["info"]["title"] == "Consult API"
    paths = schema["paths"]
    for path in ("/api/v1/auth/me/", "/api/v1/auth/login/", "/api/v1/auth/register/"):
        assert path in paths


def test_swagger_ui_is_served(api_client):
    res = api_client.get("/api/docs/")
    assert res.status_code == 200 and b"swagger" in res.content.lower()


def test_unknown_client_route_serves_the_app(api_client):
    res = api_client.get("/consultations/mine")
    assert res.status_code == 200 and b"<html" in res.content.lower()
    assert api_client.get("/api/v1/nope/").status_code == 404


def test_healthz(api_client):
    assert api_client.get("/healthz").json() == {"status": "ok"}


def _import_prod(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.prod", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )


def test_production_refuses_the_default_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    res = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "project.settings.prod"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert res.returncode != 0 and "SECRET_KEY must be set" in res.stderr
    ok = _import_prod({"SECRET_KEY": "x" * 50})
    assert ok.returncode == 0, ok.stderr


def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    # Warnings mean unstable or wrong names in the generated TypeScript types.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert (tmp_path / "schema.yml").stat().st_size > 10_000
