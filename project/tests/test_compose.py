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
    assert set(services) == {"proxy", "postgres", "redis", "web", "ws", "worker", "beat"}
    for name in ("proxy", "postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert int(env["DB_POOL_SIZE"]) > 0  # bounded connections per process
    assert "gunicorn project.wsgi" in services["web"]["command"]
    assert "project.workers.SocketWorker" in services["ws"]["command"]  # uvicorn workers
    assert "beat" in services["beat"]["command"]
    for name in ("web", "ws", "worker", "beat"):
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"


def test_proxy_routes_sockets_and_http_to_their_own_processes():
    services = _compose()["services"]
    assert any("deploy/nginx.conf" in v for v in services["proxy"]["volumes"])
    conf = (settings.BASE_DIR / "deploy" / "nginx.conf").read_text()
    ws_block = conf[conf.index("location /ws/") :]
    ws_block = ws_block[: ws_block.index("}")]
    assert "proxy_pass http://ws;" in ws_block and "Upgrade $http_upgrade" in ws_block
    assert "server ws:8000" in conf and "server web:8000" in conf

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
