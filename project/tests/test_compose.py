"""docker-compose.yml describes the whole stack, with health checks (no engine runs here)."""

from __future__ import annotations

import shutil
import subprocess

import yaml
from django.conf import settings


def _compose() -> dict:
    return yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())


def test_compose_has_every_service_with_health_checks():
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert "daphne" in services["web"]["command"]
    assert "beat" in services["beat"]["command"]
    for name in ("web", "worker", "beat"):
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"

    # Full validation by a compose client too, where one is installed (bin/test installs it).
    exe = shutil.which("docker-compose")
    if exe:
        res = subprocess.run(
            [exe, "config", "-q"],
            cwd=settings.BASE_DIR,
            env={"SECRET_KEY": "x" * 40, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert res.returncode == 0, res.stderr
