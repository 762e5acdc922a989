"""The real-time core under load (issue 12), beside the Channels tutorial peer, same run.

Starts, on loopback only, with outside clients (websockets, raw HTTP/1.1 keep-alive):
  peer      /work/shared/peers/peerchat.py (or ../shared/peers) on daphne, pub/sub layer
  ws        Consult's socket processes: gunicorn + N uvicorn workers (project.asgi), psycopg
            pool per process, pub/sub layer (CHANNEL_LAYER=core with --layer core)
  http      Consult's HTTP processes: gunicorn threaded WSGI workers (project.wsgi)

Phases (each prints ROW| lines for bin/bench's table):
  chat_steady   50 pairs (100 sockets), staggered open-loop chat.send at --rate msg/s total:
                send -> other party's chat.message p50/p99, lost, duplicated; then the peer
                with the same client, pairs and rate
  saturation    every sender sends its next message when the previous is acknowledged:
                persisted (acknowledged) msg/s, ack p50/p99; the peer's closed-loop msg/s
  overload      2x the saturation rate for --overload-seconds, open loop; afterwards every
                receiver reconnects if it was told to (4408) and resumes from its cursor;
                acknowledged messages missing at the recipient must be 0; /metrics' drop and
                resync counters are reported
  rest          32 concurrent clients: expert list req/s, bookings/s on disjoint slots, and
                expert-list p95 at a paced 100 req/s; then PostgreSQL's own commit rate
                (pgbench, 32 clients, one-row INSERTs) as the baseline beside bookings
  idle          --idle authenticated sockets held open: RSS per socket of the ws processes

Run: .venv/bin/python bench/bench_core.py [--quick] [--phases chat,saturation,...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BENCH = "core"
# Each run has its own database, channel prefix, ports and metrics folder, so two runs on
# one box (or a leftover server from an earlier one) cannot answer each other's clients.
# Use a different BENCH_REDIS_DB per concurrent run: user ids repeat across databases.
RUN = os.getpid()
DB = f"consult_h9_core_{RUN}"
PREFIX = f"h9core{RUN}"
REDIS = common.redis_url()
PEER_PORT = common.free_port()
WS_PORT = common.free_port()
HTTP_PORT = common.free_port()
PROM_DIR = common.ROOT / "var" / "bench" / f"prometheus-{RUN}"
PEER_DIRS = [Path("/work/shared/peers"), common.ROOT.parent / "shared" / "peers"]


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen
    log: object

    def pids(self) -> list[int]:
        """The process and its children (gunicorn workers)."""
        out = [self.proc.pid]
        with contextlib.suppress(OSError):
            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            out += [int(p) for p in kids.split()]
        return out

    def rss_kib(self) -> int:
        return sum(common.rss_kib(p) for p in self.pids())

    def cpu_seconds(self) -> float:
        return sum(common.cpu_seconds(p) for p in self.pids())

    def open_fds(self) -> int:
        total = 0
        for p in self.pids():
            with contextlib.suppress(OSError):
                total += len(os.listdir(f"/proc/{p}/fd"))
        return total

    def stop(self) -> None:
        common.stop_process(self.proc, 15)
        self.log.close()


_procs: list[Proc] = []


def start(name: str, argv: list[str], port: int, env: dict[str, str], cwd: Path) -> Proc:
    if common.port_is_open(port):
        raise RuntimeError(f"port {port} is already in use")
    log_dir = common.ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"core-{RUN}-{name}.log", "w")
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: common.raise_fd_limit(65536),
    )
    p = Proc(name, proc, log)
    _procs.append(p)
    common.wait_port(port, 90, proc)
    return p


def consult_env(args, **extra: str) -> dict[str, str]:
    return common.bench_env(
        DB,
        redis=REDIS,
        prefix=PREFIX,
        extra={
            "DJANGO_SETTINGS_MODULE": "project.settings.dev",
            "REALTIME_STRICT_EVENTS": "0",
            # The bench measures delivery, not the flood guard.
            "CHAT_RATE_LIMIT_PER_MINUTE": "100000000",
            "WS_FRAMES_PER_SECOND": "100000000",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "DB_POOL_SIZE": str(args.pool),
            "CHANNEL_LAYER": args.layer,
            "PROMETHEUS_MULTIPROC_DIR": str(PROM_DIR),
            "LOG_LEVEL": "WARNING",
            **extra,
        },
    )


def start_ws(args) -> Proc:
    argv = [
        str(common.VENV_BIN / "gunicorn"),
        "project.asgi:application",
        "-c",
        "deploy/gunicorn.conf.py",
        "-k",
        "project.workers.SocketWorker",
    ]
    env = consult_env(
        args,
        BIND=f"127.0.0.1:{WS_PORT}",
        WEB_WORKERS=str(args.ws_workers),
        UVICORN_WS=args.ws_impl,
    )
    if args.ws_pythonpath:  # e.g. wsproto installed with pip --target, to compare
        env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{args.ws_pythonpath}"
    ws = start("ws", argv, WS_PORT, env, common.ROOT)
    # The port opens with the master; RSS and fd baselines need the workers up too.
    deadline = time.monotonic() + 60
    while len(ws.pids()) < 1 + args.ws_workers and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # the workers' imports
    return ws


def start_http(args) -> Proc:
    argv = [str(common.VENV_BIN / "gunicorn"), "project.wsgi", "-c", "deploy/gunicorn.conf.py"]
    env = consult_env(
        args,
        BIND=f"127.0.0.1:{HTTP_PORT}",
        WEB_WORKERS=str(args.http_workers),
        WEB_THREADS=str(args.pool),
    )
    return start("http", argv, HTTP_PORT, env, common.ROOT)


def start_celery(args) -> Proc:
    """A Celery worker as bin/run starts one: a booking's follow-ups (notification, emails,
    webhooks) run there, so its CPU and drain time are part of the booking figures."""
    # Niced: on a box this small the follow-ups (two rendered emails each) would otherwise
    # take CPU from the requests; they drain after the burst instead, and both their CPU
    # and the drain time are reported.
    argv = ["nice", "-n", str(args.celery_nice)]
    argv += [str(common.VENV_BIN / "celery"), "-A", "project", "worker", "-l", "warning"]
    argv += ["--concurrency", str(args.celery_concurrency), "-n", f"bench{RUN}@%h"]
    log_dir = common.ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"core-{RUN}-celery.log", "w")
    proc = subprocess.Popen(
        argv, cwd=common.ROOT, env=consult_env(args), stdout=log, stderr=subprocess.STDOUT
    )
    p = Proc("celery", proc, log)
    _procs.append(p)
    deadline = time.monotonic() + 60
    while len(p.pids()) < 1 + args.celery_concurrency and time.monotonic() < deadline:
        time.sleep(0.2)
    return p


def celery_backlog() -> int:
    """Tasks waiting in the bench's broker queue."""
    import redis as redis_lib

    return int(redis_lib.Redis.from_url(REDIS).llen("celery"))


def start_peer(args) -> Proc:
    folder = next((d for d in PEER_DIRS if (d / "peerchat.py").exists()), None)
    if folder is None:
        raise RuntimeError("peerchat.py not found in shared/peers")
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "peerchat",
            "PEER_LAYER": "pubsub",
            "REDIS_URL": REDIS,
            "PYTHONPATH": str(folder),
        }
    )
    argv = [str(common.VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(PEER_PORT)]
    return start("peer", [*argv, "peerchat:application"], PEER_PORT, env, folder)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --------------------------------------------------------------------------- data


@dataclass
class Pair:
    conversation_id: int
    user: common.BenchUser
    expert: common.BenchUser


def make_pairs(count: int) -> list[Pair]:
    from chat.models import ExpertChatConversation
    from consultations.models import Expert

    users = common.make_users(count, prefix="cu")
    owners = common.make_users(count, prefix="ce")
    experts = Expert.objects.bulk_create(
        Expert(user_id=o.id, name=f"Chat expert {i}", verification_status="approved")
        for i, o in enumerate(owners)
    )
    conversations = ExpertChatConversation.objects.bulk_create(
        ExpertChatConversation(user_id=u.id, expert=e) for u, e in zip(users, experts, strict=True)
    )
    return [Pair(c.pk, u, o) for c, u, o in zip(conversations, users, owners, strict=True)]


def make_bookable(count: int) -> list[tuple[common.BenchUser, int]]:
    """`count` (client, expert id) pairs; each expert is open around the clock."""
    from consultations.models import Expert, ExpertAvailability

    clients = common.make_users(count, prefix="bc")
    owners = common.make_users(count, prefix="be")
    experts = Expert.objects.bulk_create(
        Expert(
            user_id=o.id,
            name=f"Bookable {i}",
            timezone="UTC",
            hourly_rate=80,
            session_lengths=[30, 60],
            slot_interval_minutes=30,
            buffer_after_minutes=0,
            min_notice_minutes=0,
            max_bookings_per_day=48,
            booking_horizon_days=365,
            verification_status="approved",
        )
        for i, o in enumerate(owners)
    )
    ExpertAvailability.objects.bulk_create(
        ExpertAvailability(expert=e, weekday=wd, start_time="00:00", end_time="23:30")
        for e in experts
        for wd in range(7)
    )
    return [(c, e.pk) for c, e in zip(clients, experts, strict=True)]


def seed_experts(count: int) -> None:
    from consultations.models import Expert

    owners = common.make_users(count, prefix="le")
    Expert.objects.bulk_create(
        Expert(
            user_id=o.id,
            name=f"Listed expert {i}",
            headline="Advice",
            hourly_rate=20 + i % 180,
            verification_status="approved",
        )
        for i, o in enumerate(owners)
    )


# --------------------------------------------------------------------------- chat clients


def ms(values: list[float]) -> dict[str, float]:
    return common.summary_ms(values) if values else {"p50": float("nan"), "p99": float("nan")}


@dataclass
class ChatStats:
    latencies: list[float] = field(default_factory=list)
    ack_latencies: list[float] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)
    acked: dict[int, set[int]] = field(default_factory=dict)  # conversation -> seqs acked
    received: dict[int, list[int]] = field(default_factory=dict)  # live, at the recipient
    resumed: dict[int, set[int]] = field(default_factory=dict)
    closed_4408: int = 0
    errors: list[str] = field(default_factory=list)


class ChatSocket:
    def __init__(self, user: common.BenchUser, stats: ChatStats, receiver: bool) -> None:
        self.user = user
        self.stats = stats
        self.receiver = receiver
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.waiting: dict[str, asyncio.Future] = {}
        self.close_code: int | None = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            f"ws://127.0.0.1:{WS_PORT}/ws/?token={self.user.token}",
            origin="http://localhost",
            open_timeout=60,
            ping_interval=None,
            max_queue=None,
        )
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
        assert hello["type"] == "session.ready", hello
        self.close_code = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                now = time.perf_counter()
                event = json.loads(raw)
                kind, data = event["type"], event["data"]
                if kind == "chat.message" and self.receiver:
                    sent = self.stats.sent_at.get(data["client_id"])
                    if sent is not None:
                        self.stats.latencies.append(now - sent)
                    self.stats.received.setdefault(data["conversation_id"], []).append(data["seq"])
                elif kind in ("chat.send.ok", "chat.resume.ok", "error"):
                    future = self.waiting.pop(data.get("request_id"), None)
                    if future is not None and not future.done():
                        future.set_result(event)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            if self.close_code == 4408:
                self.stats.closed_4408 += 1
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("closed"))
            self.waiting.clear()

    async def request(self, kind: str, data: dict, request_id: str) -> dict:
        future = asyncio.get_running_loop().create_future()
        self.waiting[request_id] = future
        await self.ws.send(json.dumps({"type": kind, "request_id": request_id, "data": data}))
        return await future

    async def send_chat(self, conversation_id: int, client_id: str) -> None:
        started = time.perf_counter()
        self.stats.sent_at[client_id] = started
        reply = await self.request(
            "chat.send",
            {"conversation_id": conversation_id, "text": client_id, "client_id": client_id},
            client_id,
        )
        if reply["type"] != "chat.send.ok":
            self.stats.errors.append(str(reply["data"])[:200])
            return
        self.stats.ack_latencies.append(time.perf_counter() - started)
        self.stats.acked.setdefault(conversation_id, set()).add(reply["data"]["message"]["seq"])

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 5)


async def open_pairs(pairs: list[Pair], stats: ChatStats):
    sockets = []
    for pair in pairs:
        sender = ChatSocket(pair.user, stats, receiver=False)
        receiver = ChatSocket(pair.expert, stats, receiver=True)
        await asyncio.gather(sender.open(), receiver.open())
        sockets.append((pair, sender, receiver))
    return sockets


async def close_pairs(sockets) -> None:
    await asyncio.gather(*(s.close() for _, a, b in sockets for s in (a, b)))


_ids = itertools.count()


async def safe(coro) -> None:
    # A send on a socket the server closed (4408) is simply not acknowledged.
    with contextlib.suppress(ConnectionError, OSError):
        await coro


async def open_loop(sockets, per_sender_rate: float, seconds: float, stats: ChatStats) -> float:
    """Each sender sends at `per_sender_rate`, staggered; returns the wall time."""

    async def run(pair: Pair, sender: ChatSocket) -> None:
        interval = 1 / per_sender_rate
        await asyncio.sleep(random.random() * interval)
        end = time.perf_counter() + seconds
        nxt = time.perf_counter()
        pending = set()
        while time.perf_counter() < end:
            if sender.close_code is not None:
                with contextlib.suppress(Exception):
                    await sender.open()
            client_id = f"m{next(_ids)}"
            task = asyncio.create_task(safe(sender.send_chat(pair.conversation_id, client_id)))
            pending.add(task)
            task.add_done_callback(pending.discard)
            nxt += interval
            await asyncio.sleep(max(0, nxt - time.perf_counter()))
        if pending:
            await asyncio.wait(pending, timeout=60)
        for task in pending:
            task.cancel()

    t0 = time.perf_counter()
    await asyncio.gather(*(run(p, s) for p, s, _ in sockets), return_exceptions=True)
    return time.perf_counter() - t0


async def closed_loop(sockets, seconds: float, stats: ChatStats) -> float:
    async def run(pair: Pair, sender: ChatSocket) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            try:
                await sender.send_chat(pair.conversation_id, f"m{next(_ids)}")
            except (ConnectionError, OSError):
                await sender.open()

    t0 = time.perf_counter()
    await asyncio.gather(*(run(p, s) for p, s, _ in sockets), return_exceptions=True)
    return time.perf_counter() - t0


async def settle(stats: ChatStats, timeout: float = 15) -> None:
    """Wait until every acknowledged message reached its recipient, or `timeout`."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        missing = sum(len(seqs - set(stats.received.get(c, []))) for c, seqs in stats.acked.items())
        if missing == 0:
            return
        await asyncio.sleep(0.25)


async def resume_all(sockets, stats: ChatStats) -> None:
    """Every receiver reconnects if closed and fetches what it missed from its cursor."""

    async def one(pair: Pair, receiver: ChatSocket) -> None:
        if receiver.close_code is not None:
            await receiver.open()
        got = set(stats.received.get(pair.conversation_id, []))
        # The cursor a real client keeps: the highest seq up to which it has everything.
        cursor = 0
        while cursor + 1 in got:
            cursor += 1
        has_more = True
        while has_more:
            reply = await receiver.request(
                "chat.resume",
                {"cursors": {str(pair.conversation_id): cursor}},
                f"r{next(_ids)}",
            )
            messages = reply["data"].get("messages", [])
            seqs = [m["seq"] for m in messages if m["conversation_id"] == pair.conversation_id]
            stats.resumed.setdefault(pair.conversation_id, set()).update(seqs)
            has_more = bool(reply["data"].get("has_more")) and bool(seqs)
            if seqs:
                cursor = max(seqs)

    await asyncio.gather(*(one(p, r) for p, _, r in sockets))


def delivery(stats: ChatStats) -> tuple[int, int, int]:
    """(acknowledged, lost live, duplicated live)."""
    acked = sum(len(s) for s in stats.acked.values())
    lost = sum(len(s - set(stats.received.get(c, []))) for c, s in stats.acked.items())
    dup = sum(len(r) - len(set(r)) for r in stats.received.values())
    return acked, lost, dup


# --------------------------------------------------------------------------- peer clients


async def peer_run(pairs: int, per_pair_rate: float, seconds: float, closed: bool) -> dict:
    from websockets.asyncio.client import connect

    lat: list[float] = []
    counts = {"sent": 0, "recv": 0}

    async def pair(i: int) -> None:
        url = f"ws://127.0.0.1:{PEER_PORT}/ws/chat/r{i}/"
        async with (
            connect(url, max_queue=None, ping_interval=None) as a,
            connect(url, max_queue=None, ping_interval=None) as b,
        ):
            got = asyncio.Event()

            async def recv_b() -> None:
                async for raw in b:
                    m = json.loads(raw)["message"]
                    if m == "stop":
                        return
                    lat.append(time.perf_counter() - float(m))
                    counts["recv"] += 1
                    got.set()

            async def drain_a() -> None:
                with contextlib.suppress(Exception):
                    async for _ in a:
                        pass

            rb = asyncio.create_task(recv_b())
            da = asyncio.create_task(drain_a())
            interval = 1 / per_pair_rate if per_pair_rate else 0
            await asyncio.sleep(random.random() * interval)
            end = time.perf_counter() + seconds
            nxt = time.perf_counter()
            while time.perf_counter() < end:
                got.clear()
                await a.send(json.dumps({"message": repr(time.perf_counter())}))
                counts["sent"] += 1
                if closed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(got.wait(), 10)
                else:
                    nxt += interval
                    await asyncio.sleep(max(0, nxt - time.perf_counter()))
            await a.send(json.dumps({"message": "stop"}))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rb, 15)
            da.cancel()

    t0 = time.perf_counter()
    await asyncio.gather(*(pair(i) for i in range(pairs)))
    wall = time.perf_counter() - t0
    return {
        "sent": counts["sent"],
        "received": counts["recv"],
        "msgs_per_s": counts["recv"] / wall,
        **ms(lat),
    }


# --------------------------------------------------------------------------- HTTP client


class Http:
    """A minimal HTTP/1.1 keep-alive client: cheap enough to load a server from 2 cores."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        try:
            return await self._request(method, path, body)
        except (ConnectionError, asyncio.IncompleteReadError, IndexError):
            # The server closed an idle keep-alive connection: reconnect once.
            self.writer = None
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: dict | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
        if self.token:
            head.append(f"Authorization: Token {self.token}")
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        return status, data


async def rest_closed_loop(
    clients: list[Http], make_request, seconds: float
) -> tuple[int, list[float], dict[int, int]]:
    lat: list[float] = []
    statuses: dict[int, int] = {}

    async def run(i: int, client: Http) -> None:
        end = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < end:
            method, path, body = make_request(i, n)
            n += 1
            t0 = time.perf_counter()
            try:
                status, _ = await client.request(method, path, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                client.writer = None
                status = 599
            lat.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(run(i, c) for i, c in enumerate(clients)))
    return len(lat), lat, statuses


async def rest_paced(clients: list[Http], path: str, rate: float, seconds: float) -> list[float]:
    lat: list[float] = []
    per_client = rate / len(clients)

    async def run(client: Http) -> None:
        interval = 1 / per_client
        await asyncio.sleep(random.random() * interval)
        end = time.perf_counter() + seconds
        nxt = time.perf_counter()
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            await client.request("GET", path)
            lat.append(time.perf_counter() - t0)
            nxt += interval
            await asyncio.sleep(max(0, nxt - time.perf_counter()))

    await asyncio.gather(*(run(c) for c in clients))
    return lat


# --------------------------------------------------------------------------- phases


def metric_sum(name: str, **labels: str) -> float:
    """Sum of a counter over the ws processes, read from /metrics like a scraper would."""
    import urllib.request

    text = urllib.request.urlopen(f"http://127.0.0.1:{WS_PORT}/metrics", timeout=10).read()
    total = 0.0
    for line in text.decode().splitlines():
        if not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in metric for k, v in labels.items()):
            total += float(value)
    return total


async def phase_chat(args, pairs: list[Pair], ws: Proc, peer: Proc | None) -> float:
    rate = args.rate / len(pairs)
    stats = ChatStats()
    sockets = await open_pairs(pairs, stats)
    await open_loop(sockets, rate, 3, ChatStats())  # warm-up (its figures are dropped)
    stats.latencies.clear()
    stats.ack_latencies.clear()
    stats.acked.clear()
    stats.received.clear()
    cpu0 = ws.cpu_seconds()
    wall = await open_loop(sockets, rate, args.seconds, stats)
    await settle(stats)
    cpu = ws.cpu_seconds() - cpu0
    acked, lost, dup = delivery(stats)
    lat = ms(stats.latencies)
    case = f"{2 * len(pairs)} sockets, {args.rate:g} msg/s offered"
    load = load_average()
    common.emit(BENCH, f"consult chat {case}", "p50", round(lat["p50"], 2), "ms", load=load)
    common.emit(BENCH, f"consult chat {case}", "p99", round(lat["p99"], 2), "ms")
    common.emit(
        BENCH, f"consult chat {case}", "delivered", round(len(stats.latencies) / wall, 1), "msg/s"
    )
    common.emit(
        BENCH, f"consult chat {case}", "lost / duplicated", f"{lost} / {dup}", "", acked=acked
    )
    common.emit(
        BENCH,
        f"consult chat {case}",
        "ws CPU per message",
        round(cpu / max(1, acked) * 1000, 2),
        "ms",
    )
    if stats.errors:
        common.emit(
            BENCH, f"consult chat {case}", "errors", len(stats.errors), "", first=stats.errors[0]
        )
    await close_pairs(sockets)
    if peer is not None:
        peer_cpu0 = peer.cpu_seconds()
        result = await peer_run(len(pairs), rate, args.seconds, closed=False)
        common.emit(
            BENCH,
            f"peer chat {case}",
            "peer CPU per message",
            round((peer.cpu_seconds() - peer_cpu0) / max(1, result["received"]) * 1000, 2),
            "ms",
        )
        common.emit(
            BENCH, f"peer chat {case}", "p50", round(result["p50"], 2), "ms", load=load_average()
        )
        common.emit(BENCH, f"peer chat {case}", "p99", round(result["p99"], 2), "ms")
        common.emit(BENCH, f"peer chat {case}", "lost", result["sent"] - result["received"], "")
    return lat["p50"]


async def phase_saturation(args, pairs: list[Pair], ws: Proc, peer: Proc | None) -> float:
    stats = ChatStats()
    sockets = await open_pairs(pairs, stats)
    cpu0 = ws.cpu_seconds()
    wall = await closed_loop(sockets, args.seconds, stats)
    cpu = ws.cpu_seconds() - cpu0
    await settle(stats)
    acked, lost, dup = delivery(stats)
    rate = acked / wall
    acks = ms(stats.ack_latencies)
    case = f"closed loop, {len(pairs)} senders"
    common.emit(BENCH, f"consult {case}", "persisted", round(rate, 1), "msg/s", load=load_average())
    common.emit(
        BENCH, f"consult {case}", "ack p50 / p99", f"{acks['p50']:.1f} / {acks['p99']:.1f}", "ms"
    )
    common.emit(BENCH, f"consult {case}", "lost / duplicated", f"{lost} / {dup}", "")
    common.emit(
        BENCH, f"consult {case}", "ws CPU per message", round(cpu / max(1, acked) * 1000, 2), "ms"
    )
    await close_pairs(sockets)
    if peer is not None:
        result = await peer_run(len(pairs), 0, args.seconds, closed=True)
        common.emit(
            BENCH,
            f"peer {case}",
            "delivered",
            round(result["msgs_per_s"], 1),
            "msg/s",
            load=load_average(),
        )
    return rate


async def phase_overload(args, pairs: list[Pair], saturation: float) -> None:
    stats = ChatStats()
    sockets = await open_pairs(pairs, stats)
    dropped0 = metric_sum("consult_realtime_events_dropped_total")
    resync0 = metric_sum("consult_ws_resyncs_total")
    offered = 2 * saturation
    wall = await open_loop(sockets, offered / len(pairs), args.overload_seconds, stats)
    await settle(stats, 30)
    acked, lost_live, _ = delivery(stats)
    await resume_all(sockets, stats)
    missing = sum(
        len(seqs - set(stats.received.get(c, [])) - stats.resumed.get(c, set()))
        for c, seqs in stats.acked.items()
    )
    case = f"overload {offered:.0f} msg/s offered for {args.overload_seconds:g} s"
    common.emit(BENCH, case, "acknowledged", round(acked / wall, 1), "msg/s", load=load_average())
    common.emit(BENCH, case, "not delivered live", lost_live, "", told_to_resume=stats.closed_4408)
    common.emit(BENCH, case, "missing after resume", missing, "")
    common.emit(
        BENCH,
        case,
        "metrics dropped / resyncs",
        f"{metric_sum('consult_realtime_events_dropped_total') - dropped0:.0f} / "
        f"{metric_sum('consult_ws_resyncs_total') - resync0:.0f}",
        "",
    )
    await close_pairs(sockets)
    if missing:
        raise SystemExit(f"{missing} acknowledged messages missing after resume")


async def phase_pg_baseline(args) -> None:
    """PostgreSQL's own commit rate on this box, the ceiling for anything that writes:
    pgbench with 32 clients, one small INSERT per transaction (a booking commits one
    transaction with two inserts), against the bench database, for --seconds."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        common.log("pgbench not found (apt-get install postgresql-client): no baseline")
        return
    import psycopg

    url = common.database_url(DB)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_commit_rate "
            "(id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), note text)"
        )
    script = common.ROOT / "var" / "bench" / f"pgbench-{RUN}.sql"
    script.write_text("INSERT INTO bench_commit_rate (note) VALUES ('bench');\n")
    try:
        proc = await asyncio.create_subprocess_exec(
            pgbench,
            "-n",
            "-c",
            "32",
            "-j",
            "2",
            "-T",
            str(max(1, int(args.seconds))),
            "-f",
            str(script),
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out = (await proc.communicate())[0].decode()
    finally:
        script.unlink(missing_ok=True)
    tps = next(
        (line.split("=")[1].split()[0] for line in out.splitlines() if line.startswith("tps")),
        None,
    )
    if tps is None:
        common.log(f"pgbench gave no figure:\n{out}")
        return
    common.emit(
        BENCH,
        "PostgreSQL baseline (pgbench, 32 clients)",
        "one-row INSERT commits",
        round(float(tps), 1),
        "commits/s",
        load=load_average(),
    )


async def phase_rest(args, bookable, token: str, http: Proc, celery: Proc | None) -> None:
    n = 32
    clients = [Http(HTTP_PORT, token) for _ in range(n)]
    path = "/api/v1/consultations/experts/"
    await rest_closed_loop(clients, lambda i, k: ("GET", path, None), 2)  # warm-up
    cpu0 = http.cpu_seconds()
    count, lat, statuses = await rest_closed_loop(
        clients, lambda i, k: ("GET", path, None), args.seconds
    )
    cpu = http.cpu_seconds() - cpu0
    s = ms(lat)
    case = "REST 32 clients"
    common.emit(BENCH, case, "expert list CPU per request", round(cpu / count * 1000, 2), "ms")
    common.emit(
        BENCH,
        case,
        "expert list",
        round(count / args.seconds, 1),
        "req/s",
        load=load_average(),
        statuses=statuses,
    )
    common.emit(BENCH, case, "expert list p50 / p95", f"{s['p50']:.1f} / {s['p95']:.1f}", "ms")

    base = (datetime.now(UTC) + timedelta(days=2)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    book_clients = [Http(HTTP_PORT, user.token) for user, _ in bookable[:n]]

    def book(i: int, k: int):
        expert_id = bookable[i][1]
        # 47 half-hour starts fit in each day's 00:00-23:30 hours; then the next day.
        start = base + timedelta(days=k // 47, minutes=30 * (k % 47))
        return (
            "POST",
            "/api/v1/consultations/consultations/book/",
            {
                "expert_id": expert_id,
                "start_at": start.isoformat(),
                "duration_minutes": 30,
                "topic": "bench",
            },
        )

    from notifications.models import Notification

    def followed_up() -> int:
        return Notification.objects.filter(kind=Notification.Kind.CONSULTATION_CREATED).count()

    notes0 = await asyncio.to_thread(followed_up)
    cpu0 = http.cpu_seconds()
    celery_cpu0 = celery.cpu_seconds() if celery is not None else 0.0
    count, lat, statuses = await rest_closed_loop(book_clients, book, args.seconds)
    cpu = http.cpu_seconds() - cpu0
    s = ms(lat)
    booked = statuses.get(201, 0)
    common.emit(BENCH, case, "booking CPU per request", round(cpu / count * 1000, 2), "ms")
    if celery is not None:
        # Every booking's follow-ups done: its expert notified and the queue empty (the
        # emails are tasks of their own). Delivery checks wait REALTIME_ACK_TIMEOUT_SECONDS
        # in the worker and are not part of this.
        burst_end = time.monotonic()
        while time.monotonic() - burst_end < 120:
            done = await asyncio.to_thread(followed_up)
            if done - notes0 >= booked and celery_backlog() == 0:
                break
            await asyncio.sleep(0.1)
        drained = time.monotonic() - burst_end
        celery_cpu = celery.cpu_seconds() - celery_cpu0
        common.emit(
            BENCH,
            case,
            "booking follow-ups Celery CPU per booking",
            round(celery_cpu / max(booked, 1) * 1000, 2),
            "ms",
            notified=await asyncio.to_thread(followed_up) - notes0,
        )
        common.emit(
            BENCH, case, "booking follow-ups drained after the burst", round(drained, 1), "s"
        )
    common.emit(
        BENCH,
        case,
        "bookings (disjoint slots)",
        round(booked / args.seconds, 1),
        "bookings/s",
        load=load_average(),
        statuses=statuses,
    )
    common.emit(BENCH, case, "booking p50 / p95", f"{s['p50']:.1f} / {s['p95']:.1f}", "ms")

    lat = await rest_paced(clients, path, 100, args.seconds)
    s = ms(lat)
    common.emit(
        BENCH,
        "REST paced 100 req/s",
        "expert list p50 / p95",
        f"{s['p50']:.1f} / {s['p95']:.1f}",
        "ms",
        load=load_average(),
    )

    # A burst of 500 concurrent requests: every one answered, none a 5xx.
    burst = [Http(HTTP_PORT, token) for _ in range(500)]
    results = await asyncio.gather(*(c.request("GET", path) for c in burst), return_exceptions=True)
    codes: dict[str, int] = {}
    for r in results:
        key = str(r[0]) if isinstance(r, tuple) else type(r).__name__
        codes[key] = codes.get(key, 0) + 1
    common.emit(BENCH, "REST 500 concurrent requests", "answers", json.dumps(codes), "")
    for c in [*clients, *book_clients, *burst]:
        if c.writer is not None:
            c.writer.close()


async def phase_idle(args, users: list[common.BenchUser], ws: Proc) -> None:
    from websockets.asyncio.client import connect

    common.raise_fd_limit(65536)
    before = ws.rss_kib()
    sockets = []
    sem = asyncio.Semaphore(100)
    failures = 0

    async def one(i: int) -> None:
        nonlocal failures
        user = users[i % len(users)]
        async with sem:
            try:
                s = await connect(
                    f"ws://127.0.0.1:{WS_PORT}/ws/?token={user.token}",
                    origin="http://localhost",
                    open_timeout=120,
                    ping_interval=None,
                    max_queue=4,
                )
                await asyncio.wait_for(s.recv(), 120)
                sockets.append(s)
            except Exception:
                failures += 1

    fds_before = ws.open_fds()
    cpu0, client_cpu0 = ws.cpu_seconds(), time.process_time()
    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(args.idle)))
    took = time.perf_counter() - t0
    cpu, client_cpu = ws.cpu_seconds() - cpu0, time.process_time() - client_cpu0
    await asyncio.sleep(3)
    after = ws.rss_kib()
    per = (after - before) / max(1, len(sockets))
    case = f"{len(sockets)} idle authenticated sockets, {args.ws_workers} ws processes"
    common.emit(
        BENCH,
        case,
        "RSS per socket",
        round(per, 1),
        "KiB",
        total_mib=round(after / 1024),
        failed=failures,
    )
    common.emit(
        BENCH,
        case,
        "connect rate",
        round(len(sockets) / took, 1),
        "sockets/s",
        load=load_average(),
        took_s=round(took, 1),
    )
    common.emit(
        BENCH,
        case,
        "ws CPU per connect",
        round(cpu / max(1, len(sockets)) * 1000, 2),
        "ms",
        bench_client_ms=round(client_cpu / max(1, len(sockets)) * 1000, 2),
    )
    # Every server-side fd beyond the open sockets would be a leaked handshake.
    common.emit(
        BENCH,
        case,
        "ws fds opened - sockets open",
        ws.open_fds() - fds_before - len(sockets),
        "",
    )
    common.emit(BENCH, case, "open sockets in /metrics", metric_sum("consult_ws_open_sockets"), "")
    # Idle, the sockets must cost the server (almost) nothing: the presence heartbeat is
    # one pipelined Redis call per process per PRESENCE_TTL_SECONDS / 3.
    cpu0 = ws.cpu_seconds()
    await asyncio.sleep(args.idle_seconds)
    common.emit(
        BENCH,
        case,
        "ws CPU while idle",
        round((ws.cpu_seconds() - cpu0) / args.idle_seconds * 100, 2),
        "% of a core",
        seconds=args.idle_seconds,
    )
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


# --------------------------------------------------------------------------- main


async def amain(args, pairs: list[Pair], bookable, idle_users: list[common.BenchUser]) -> None:
    phases = set(args.phases.split(","))
    ws = start_ws(args)
    peer = start_peer(args) if not args.no_peer else None
    http = start_http(args) if "rest" in phases else None
    celery = start_celery(args) if "rest" in phases and args.celery_concurrency else None
    common.log(f"ws pids {ws.pids()}, load {load_average()}")
    if http is not None:
        await asyncio.sleep(3)  # the workers fork after the port opens
        common.log(f"http pids {http.pids()}")
    try:
        saturation = 0.0
        if "chat" in phases:
            await phase_chat(args, pairs, ws, peer)
        if "saturation" in phases or "overload" in phases:
            saturation = await phase_saturation(args, pairs, ws, peer)
        if "overload" in phases:
            await phase_overload(args, pairs, saturation)
        if "rest" in phases and http is not None:
            await phase_rest(args, bookable, pairs[0].user.token, http, celery)
            await phase_pg_baseline(args)
        if "idle" in phases:
            await phase_idle(args, idle_users, ws)
    finally:
        for p in reversed(_procs):
            p.stop()


def main() -> None:
    quick = os.environ.get("BENCH_QUICK") == "1"
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--rate", type=float, default=250, help="chat msg/s offered in total")
    ap.add_argument("--seconds", type=float, default=5 if quick else 15)
    ap.add_argument("--overload-seconds", type=float, default=8 if quick else 30)
    ap.add_argument("--idle", type=int, default=1000 if quick else 10000)
    ap.add_argument(
        "--idle-seconds", type=float, default=10 if quick else 35, help="idle CPU window"
    )
    ap.add_argument("--idle-users", type=int, default=0, help="users behind the idle sockets")
    ap.add_argument("--experts", type=int, default=1000)
    ap.add_argument("--ws-workers", type=int, default=2)
    ap.add_argument(
        "--ws-impl",
        default="websockets-sansio",
        choices=["websockets-sansio", "websockets", "wsproto"],
        help="uvicorn's WebSocket implementation in the socket processes",
    )
    ap.add_argument("--ws-pythonpath", default="", help="extra PYTHONPATH for the ws processes")
    ap.add_argument("--http-workers", type=int, default=2)
    ap.add_argument("--pool", type=int, default=8, help="DB_POOL_SIZE per process")
    ap.add_argument(
        "--celery-concurrency",
        type=int,
        default=2,
        help="processes of the Celery worker that runs booking follow-ups (0: no worker)",
    )
    ap.add_argument("--celery-nice", type=int, default=10, help="nice level of that worker")
    ap.add_argument("--layer", choices=["pubsub", "core"], default="pubsub")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--phases", default="chat,saturation,overload,rest,idle")
    ap.add_argument("--keep", action="store_true", help="keep the bench database")
    args = ap.parse_args()

    shutil.rmtree(PROM_DIR, ignore_errors=True)
    PROM_DIR.mkdir(parents=True)
    common.create_database(DB)
    common.setup_django(DB, redis=REDIS)
    phases = set(args.phases.split(","))
    try:
        pairs = make_pairs(args.pairs)
        bookable = make_bookable(32) if "rest" in phases else []
        if "rest" in phases:
            seed_experts(args.experts)
        # One user per idle socket (the worst case for presence: no two share a counter).
        idle_users = (
            common.make_users(args.idle_users or args.idle, prefix="idle")
            if "idle" in phases
            else []
        )
        asyncio.run(amain(args, pairs, bookable, idle_users))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            common.drop_database(DB)
        shutil.rmtree(PROM_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
