"""Shared helpers for the benchmarks and long reliability runs in bench/.

Everything here talks to 127.0.0.1 only, and every process it starts is stopped by the
caller (or, failing that, by the `atexit` hook registered in `start_daphne`).

Results: a benchmark reports each figure with `emit(...)`, which prints one line
`ROW|{json}` on stdout; `bin/bench` collects those lines from every script into one table.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import math
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable

# This machine's isolation for benchmark runs (see the project brief): own databases,
# channel-layer prefix, Redis DB index and port range.
PG_URL_BASE = os.environ.get("BENCH_PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")
REDIS_HOST = "127.0.0.1"
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6379"))
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "9"))
CHANNEL_PREFIX = os.environ.get("BENCH_CHANNEL_PREFIX", "h9")
PORT_RANGE = range(8900, 9000)
DEFAULT_DB = os.environ.get("BENCH_DB", "consult_h9_bench")
# One precomputed hash for every bench user: hashing 2,000 passwords would dominate setup.
BENCH_PASSWORD = "bench-pass-123"


def redis_url(db: int = REDIS_DB, port: int = REDIS_PORT) -> str:
    return f"redis://{REDIS_HOST}:{port}/{db}"


def database_url(name: str = DEFAULT_DB) -> str:
    return f"{PG_URL_BASE}/{name}"


def bench_env(
    db_name: str = DEFAULT_DB,
    *,
    redis: str | None = None,
    prefix: str = CHANNEL_PREFIX,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment for a server or manage.py run against the bench database and Redis."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings.dev",
            "DATABASE_URL": database_url(db_name),
            "REDIS_URL": redis or redis_url(),
            "CHANNEL_LAYER_PREFIX": prefix,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Benchmarks measure the product, not DEBUG's query log and tracebacks.
            "DEBUG": os.environ.get("BENCH_DEBUG", "0"),
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------- database


def _admin_connect():
    import psycopg

    return psycopg.connect(f"{PG_URL_BASE}/postgres", autocommit=True)


def create_database(name: str = DEFAULT_DB, *, fresh: bool = True) -> None:
    """(Re)create `name` and migrate it with manage.py in a subprocess."""
    if not name.startswith("consult_h9"):
        raise ValueError(f"refusing to touch database {name!r}: bench databases are consult_h9*")
    with _admin_connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    for _attempt in range(3):
        # Right after DROP ... WITH (FORCE) + CREATE, PostgreSQL now and then refuses the
        # first connection ("database ... does not exist ... just been dropped").
        done = subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=bench_env(name),
            timeout=300,
        )
        if done.returncode == 0:
            return
        time.sleep(2)
    raise RuntimeError(f"could not migrate {name}")


def drop_database(name: str) -> None:
    if not name.startswith("consult_h9"):
        raise ValueError(f"refusing to drop {name!r}")
    with _admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(db_name: str = DEFAULT_DB, *, redis: str | None = None) -> None:
    """Configure this process as a Django client of the bench database, then django.setup()."""
    for key, value in bench_env(db_name, redis=redis).items():
        if key != "PYTHONPATH":
            os.environ[key] = value
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import warnings

    import django

    # whitenoise complains when collectstatic has not run; benchmarks serve no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()


def flush_redis_db(db: int = REDIS_DB, port: int = REDIS_PORT) -> None:
    """Empty this bench's own Redis DB index (never another helper's)."""
    if db not in (9, 10):
        raise ValueError("bench Redis DBs are 9 and 10")
    import redis as redis_lib

    redis_lib.Redis(host=REDIS_HOST, port=port, db=db).flushdb()


@dataclass
class BenchUser:
    id: int
    email: str
    token: str


def make_users(count: int, *, prefix: str = "bench", **fields) -> list[BenchUser]:
    """Bulk-create `count` users with DRF tokens (needs setup_django first)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    password = make_password(BENCH_PASSWORD)
    stamp = int(time.time() * 1000)
    users = [
        User(
            username=f"{prefix}{stamp}-{i}@bench.local",
            email=f"{prefix}{stamp}-{i}@bench.local",
            password=password,
            **fields,
        )
        for i in range(count)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    created = list(User.objects.filter(username__startswith=f"{prefix}{stamp}-").order_by("id"))
    tokens = [Token(user=u, key=Token.generate_key()) for u in created]
    Token.objects.bulk_create(tokens, batch_size=1000)
    return [BenchUser(u.id, u.email, t.key) for u, t in zip(created, tokens, strict=True)]


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel's pick; servers bind it next)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_port(port: int, timeout: float = 30, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_open(port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {proc.returncode}")
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def _check_port(port: int) -> None:
    if port not in PORT_RANGE:
        raise ValueError(f"port {port} is outside this bench's range {PORT_RANGE}")
    if port_is_open(port):
        raise RuntimeError(f"port {port} is already in use")


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    log_path: Path
    _log: object = field(repr=False, default=None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kib(self) -> int:
        return rss_kib(self.proc.pid)

    def stop(self, timeout: float = 10) -> None:
        stop_process(self.proc, timeout)
        if self._log is not None:
            self._log.close()


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


_started: list[Server] = []


@atexit.register
def _stop_leftovers() -> None:
    for server in _started:
        with contextlib.suppress(Exception):
            server.stop(timeout=3)


def _start_server(
    name: str,
    argv: list[str],
    port: int,
    env: dict[str, str],
    timeout: float,
) -> Server:
    _check_port(port)
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_raise_nofile
    )
    server = Server(port, proc, log_path, log)
    _started.append(server)
    try:
        wait_port(port, timeout, proc)
    except Exception:
        server.stop()
        raise
    return server


def start_daphne(
    port: int,
    db_name: str = DEFAULT_DB,
    *,
    redis: str | None = None,
    prefix: str = CHANNEL_PREFIX,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Server:
    """Start one daphne process for project.asgi on 127.0.0.1:`port` and wait until it serves."""
    return _start_server(
        "daphne",
        [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
        port,
        bench_env(db_name, redis=redis, prefix=prefix, extra=extra_env),
        timeout,
    )


def start_gunicorn_http(
    port: int,
    db_name: str = DEFAULT_DB,
    *,
    workers: int = 1,
    redis: str | None = None,
    prefix: str = CHANNEL_PREFIX,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Server:
    """Production's HTTP server (gunicorn project.wsgi, deploy/gunicorn.conf.py: threaded
    project.workers.HttpWorker) on 127.0.0.1:`port`, `workers` processes."""
    env = bench_env(db_name, redis=redis, prefix=prefix, extra=extra_env)
    env.update({"BIND": f"127.0.0.1:{port}", "WEB_WORKERS": str(workers)})
    return _start_server(
        "gunicorn",
        [str(VENV_BIN / "gunicorn"), "project.wsgi", "-c", "deploy/gunicorn.conf.py"],
        port,
        env,
        timeout,
    )


def start_redis_server(port: int, timeout: float = 10) -> subprocess.Popen:
    """A private, throw-away redis-server (no persistence) for fault-injection runs."""
    if port_is_open(port):
        raise RuntimeError(f"port {port} is already in use")
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, timeout, proc)
    return proc


def _raise_nofile() -> None:
    raise_fd_limit()


def raise_fd_limit(wanted: int = 16384) -> int:
    """Lift RLIMIT_NOFILE towards `wanted` (capped by the hard limit); return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def rss_kib(pid: int) -> int:
    """Resident set size of `pid` in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_server_pid(port: int = REDIS_PORT) -> int | None:
    import redis as redis_lib

    try:
        return int(redis_lib.Redis(host=REDIS_HOST, port=port).info("server")["process_id"])
    except Exception:
        return None


# --------------------------------------------------------------------------- profiling


def pyspy_record(pid: int, seconds: float, out: Path) -> subprocess.Popen | None:
    """Sample `pid` with py-spy for `seconds` into collapsed stacks at `out` (None if absent)."""
    exe = VENV_BIN / "py-spy"
    if not exe.exists():
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            *(str(exe), "record", "--pid", str(pid), "--duration", str(int(seconds))),
            *("--rate", "250", "--format", "raw", "--nonblocking", "--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def pyspy_summary(path: Path, top: int = 15) -> list[tuple[str, float, float]]:
    """(function, self %, inclusive %) of the busiest functions in a collapsed-stack file."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame_name(f) for f in stack.split(";")]
        total += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for f in set(frames):
            incl[f] = incl.get(f, 0) + n
    if not total:
        return []
    ranked = sorted(own, key=own.get, reverse=True)[:top]
    return [(f, 100 * own[f] / total, 100 * incl[f] / total) for f in ranked]


def _frame_name(frame: str) -> str:
    """'send (twisted/internet/tcp.py:123)' -> 'send (internet/tcp.py)'."""
    func, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{func} ({'/'.join(path.split('/')[-2:])})" if path else func


def inclusive_share(path: Path, needles: dict[str, str]) -> dict[str, float]:
    """Share of samples (%) whose stack contains each needle: {label: needle}."""
    totals = dict.fromkeys(needles, 0)
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for label, needle in needles.items():
            if needle in stack:
                totals[label] += int(count)
    return {k: (100 * v / total if total else 0.0) for k, v in totals.items()}


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(values_s: Iterable[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds of durations given in seconds."""
    ms = sorted(v * 1000 for v in values_s)
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": ms[-1] if ms else math.nan,
    }


# --------------------------------------------------------------------------- reporting


# --------------------------------------------------------------------------- chaos

T = TypeVar("T")


def abort_websocket(ws: Any) -> bool:
    """Drop a client WebSocket's TCP connection without a close frame (what a lost network
    looks like to the server). False when there is no open connection to drop."""
    if ws is None:
        return False
    ws.transport.abort()
    return True


async def abort_at_random(
    connections: Sequence[T],
    stop: asyncio.Event,
    interval: float,
    abort: Callable[[T], object],
    *,
    share: float = 0.0,
    rng: random.Random | None = None,
) -> None:
    """Every `interval` seconds until `stop`: `abort` randomly chosen connections, a `share`
    of them (at least one) per round."""
    rng = rng or random.Random()
    while not stop.is_set():
        await asyncio.sleep(interval)
        if not connections:
            continue
        count = min(len(connections), max(1, int(len(connections) * share)))
        for connection in rng.sample(list(connections), count):
            abort(connection)


def emit(bench: str, case: str, metric: str, value: float | int | str, unit: str = "", **notes):
    """Print one result row for bin/bench's table (and keep it readable on its own)."""
    row = {"bench": bench, "case": case, "metric": metric, "value": value, "unit": unit}
    if notes:
        row["note"] = " ".join(f"{k}={v}" for k, v in notes.items())
    print("ROW|" + json.dumps(row), flush=True)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def format_table(rows: list[dict]) -> str:
    """Plain-text table of emitted rows, numbers rounded for reading."""

    def fmt(value):
        if isinstance(value, float):
            if math.isnan(value):
                return "n/a"
            return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    headers = ["bench", "case", "metric", "value", "unit", "note"]
    cells = [[fmt(r.get(h, "")) for h in headers] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for c in cells:
        lines.append(
            " | ".join(
                (v.rjust(w) if i == 3 else v.ljust(w))
                for i, (v, w) in enumerate(zip(c, widths, strict=True))
            )
        )
    return "\n".join(lines)


def _table_main(paths: list[str]) -> None:
    rows = []
    for p in paths:
        for line in Path(p).read_text(errors="replace").splitlines():
            if line.startswith("ROW|"):
                with contextlib.suppress(json.JSONDecodeError):
                    rows.append(json.loads(line[4:]))
    print(format_table(rows) if rows else "(no rows)")


if __name__ == "__main__":
    # `python bench/common.py table LOG...` prints the table of ROW| lines in the logs.
    if len(sys.argv) >= 2 and sys.argv[1] == "table":
        _table_main(sys.argv[2:])
    else:
        sys.exit("usage: common.py table LOG...")
