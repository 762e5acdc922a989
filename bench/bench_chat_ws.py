"""Live chat over /ws/: send-to-receive latency and messages/sec on one daphne process.

Starts its own daphne (project.settings.dev, a fresh bench database it migrates, Redis
channel layer under its own prefix), creates users, approved experts, conversations and
DRF tokens, then opens --sockets authenticated sockets with the `websockets` client:
half users, half experts, one conversation per user/expert pair.

Phases (each pair's user is the sender, its expert the receiver):
  steady      every sender sends --rate msg/s for --steady-seconds (open loop): latency from
              the client's send of `chat.send` to the peer's receipt of `chat.message`
  saturation  every sender sends --burst messages back to back, each as soon as the
              previous one reached the peer (closed loop): messages/sec and latency at capacity
Each receiver checks that it got every seq of its conversation exactly once (zero loss).

Everything stops by itself within --max-seconds; daphne is stopped and the bench database
and Redis keys are removed afterwards (--keep to keep the database).

Run: .venv/bin/python bench/bench_chat_ws.py [--sockets 400] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BENCH = "chat_ws"
DB_NAME = "consult_h6_bench"
PORT = 8650
REDIS = "redis://127.0.0.1:6379/1"
PREFIX = "h6-bench"
CONNECT_CONCURRENCY = 50
ASGI_APP = ["project.asgi:application"]


# --------------------------------------------------------------------------- setup


def _admin():
    import psycopg

    return psycopg.connect(f"{common.PG_URL_BASE}/postgres", autocommit=True)


def create_database() -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run(
        [common.PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=common.ROOT,
        env=common.bench_env(DB_NAME, redis=REDIS, prefix=PREFIX),
        check=True,
        timeout=300,
    )


def drop_database() -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def clean_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(f"{PREFIX}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


@dataclass
class Pair:
    conversation_id: int
    user: common.BenchUser
    expert: common.BenchUser


def make_pairs(count: int) -> list[Pair]:
    """`count` users each with a conversation with their own approved expert."""
    from chat.models import ExpertChatConversation
    from consultations.models import Expert

    users = common.make_users(count, prefix="chatu")
    owners = common.make_users(count, prefix="chate")
    experts = Expert.objects.bulk_create(
        [
            Expert(user_id=o.id, name=f"Expert {i}", verification_status="approved")
            for i, o in enumerate(owners)
        ]
    )
    conversations = ExpertChatConversation.objects.bulk_create(
        [
            ExpertChatConversation(user_id=u.id, expert=e)
            for u, e in zip(users, experts, strict=True)
        ]
    )
    return [Pair(c.pk, u, o) for c, u, o in zip(conversations, users, owners, strict=True)]


def start_daphne(port: int) -> tuple[subprocess.Popen, object]:
    if common.port_is_open(port):
        raise RuntimeError(f"port {port} is already in use")
    log_dir = common.ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"daphne-{port}.log", "w")  # closed by main()
    env = common.bench_env(
        DB_NAME,
        redis=REDIS,
        prefix=PREFIX,
        extra={
            # The bench measures delivery, not the flood guard; connections are reused
            # as in production.
            "CHAT_RATE_LIMIT_PER_MINUTE": "1000000",
            "WS_FRAMES_PER_SECOND": "1000000",
            "DB_CONN_MAX_AGE": "60",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        },
    )
    proc = subprocess.Popen(
        [str(common.VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), *ASGI_APP],
        cwd=common.ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=common.raise_fd_limit,
    )
    try:
        common.wait_port(port, 60, proc)
    except Exception:
        common.stop_process(proc)
        log.close()
        raise
    return proc, log


# --------------------------------------------------------------------------- clients


@dataclass
class Stats:
    sent_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    last_receive: float = 0.0
    # client_id -> future resolved when the peer receives that message (saturation phase)
    waiting: dict[str, asyncio.Future] = field(default_factory=dict)
    expected: int = 0
    all_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, latency: float) -> None:
        self.latencies.append(latency)
        if self.expected and len(self.latencies) >= self.expected:
            self.all_arrived.set()


class Client:
    def __init__(self, user: common.BenchUser, stats: Stats) -> None:
        self.user = user
        self.stats = stats
        self.pending: dict[str, asyncio.Future] = {}
        self.seqs: dict[int, list[int]] = {}
        self.ws = None
        self.task: asyncio.Task | None = None
        self.ids = itertools.count()

    async def open(self, url: str) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            f"{url}?token={self.user.token}",
            origin="http://localhost",
            open_timeout=30,
            ping_interval=None,
            max_queue=None,
        )
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        assert hello["type"] == "session.ready", hello
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                now = time.perf_counter()
                event = json.loads(raw)
                kind = event["type"]
                data = event["data"]
                if kind == "chat.message":
                    if data["sender_id"] != self.user.id:
                        sent = self.stats.sent_at.get(data["client_id"])
                        if sent is not None:
                            self.stats.record(now - sent)
                        waiter = self.stats.waiting.pop(data["client_id"], None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(now)
                        self.stats.last_receive = now
                        self.seqs.setdefault(data["conversation_id"], []).append(data["seq"])
                elif kind == "error" or kind.endswith(".ok"):
                    if kind == "error":
                        self.stats.errors.append(data)
                    future = self.pending.pop(data.get("request_id"), None)
                    if future is not None and not future.done():
                        future.set_result(event)

    async def send(self, conversation_id: int, client_id: str, wait: bool) -> dict | None:
        request_id = f"{self.user.id}-{next(self.ids)}"
        future = asyncio.get_running_loop().create_future() if wait else None
        if future is not None:
            self.pending[request_id] = future
        self.stats.sent_at[client_id] = time.perf_counter()
        await self.ws.send(
            json.dumps(
                {
                    "type": "chat.send",
                    "request_id": request_id,
                    "data": {
                        "conversation_id": conversation_id,
                        "text": f"bench message {client_id}",
                        "client_id": client_id,
                    },
                }
            )
        )
        return await asyncio.wait_for(future, 60) if future is not None else None

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task


async def open_all(clients: list[Client], url: str) -> float:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(client: Client) -> None:
        async with gate:
            await client.open(url)

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in clients))
    return time.perf_counter() - started


async def wait_delivered(stats: Stats, expected: int, timeout: float) -> None:
    stats.expected = expected
    if len(stats.latencies) >= expected:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stats.all_arrived.wait(), timeout)


def check_sequences(receivers: list[Client], pairs: list[Pair], sent: int) -> tuple[int, int]:
    """(lost, duplicated) over all conversations: each must hold seqs 1..sent exactly once."""
    lost = duplicated = 0
    for receiver, pair in zip(receivers, pairs, strict=True):
        seqs = receiver.seqs.get(pair.conversation_id, [])
        duplicated += len(seqs) - len(set(seqs))
        lost += len(set(range(1, sent + 1)) - set(seqs))
    return lost, duplicated


def report(case: str, stats: Stats, elapsed: float, sockets: int, expected: int) -> None:
    s = common.summary_ms(stats.latencies)
    for key in ("p50", "p95", "p99", "max"):
        common.emit(BENCH, case, f"send→receive {key}", s[key], "ms", sockets=sockets, n=s["n"])
    common.emit(
        BENCH,
        case,
        "delivered msg/s",
        len(stats.latencies) / elapsed if elapsed > 0 else 0.0,
        "msg/s",
        sockets=sockets,
        delivered=len(stats.latencies),
        expected=expected,
    )


async def run(args: argparse.Namespace, pairs: list[Pair], port: int) -> None:
    url = f"ws://127.0.0.1:{port}/ws/"
    steady, saturation = Stats(), Stats()
    senders = [Client(p.user, steady) for p in pairs]
    receivers = [Client(p.expert, steady) for p in pairs]
    clients = senders + receivers
    try:
        connect_s = await open_all(clients, url)
        common.log(f"{len(clients)} sockets open in {connect_s:.1f}s")
        common.emit(BENCH, "connect", "open sockets", len(clients), "", seconds=round(connect_s, 2))

        # Steady, open loop: each sender paced at --rate, start times spread out.
        per_sender = max(1, int(args.rate * args.steady_seconds))
        interval = 1.0 / args.rate

        async def paced(index: int, client: Client, pair: Pair) -> None:
            await asyncio.sleep(interval * index / len(senders))
            start = time.perf_counter()
            for n in range(per_sender):
                delay = start + n * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await client.send(pair.conversation_id, f"s{pair.conversation_id}-{n}", False)

        started = time.perf_counter()
        await asyncio.gather(
            *(paced(i, c, p) for i, (c, p) in enumerate(zip(senders, pairs, strict=True)))
        )
        expected = per_sender * len(senders)
        await wait_delivered(steady, expected, timeout=30)
        report(
            "steady",
            steady,
            (steady.last_receive or time.perf_counter()) - started,
            len(clients),
            expected,
        )
        lost, duplicated = check_sequences(receivers, pairs, per_sender)
        common.emit(BENCH, "steady", "lost / duplicated", f"{lost} / {duplicated}", "msgs")
        common.emit(BENCH, "steady", "errors", len(steady.errors), "")

        # Saturation, closed loop: each sender sends its next message as soon as the
        # previous one reached the peer, so the queue stays bounded and the rate is capacity.
        for client in clients:
            client.stats = saturation
        started = time.perf_counter()

        async def burst(client: Client, pair: Pair) -> None:
            loop = asyncio.get_running_loop()
            for n in range(args.burst):
                client_id = f"b{pair.conversation_id}-{n}"
                arrived = saturation.waiting[client_id] = loop.create_future()
                await client.send(pair.conversation_id, client_id, False)
                await asyncio.wait_for(arrived, 60)

        await asyncio.gather(*(burst(c, p) for c, p in zip(senders, pairs, strict=True)))
        expected = args.burst * len(senders)
        await wait_delivered(saturation, expected, timeout=30)
        report(
            "saturation",
            saturation,
            (saturation.last_receive or time.perf_counter()) - started,
            len(clients),
            expected,
        )
        lost, duplicated = check_sequences(receivers, pairs, per_sender + args.burst)
        common.emit(BENCH, "saturation", "lost / duplicated", f"{lost} / {duplicated}", "msgs")
        common.emit(BENCH, "saturation", "errors", len(saturation.errors), "")
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=400, help="total sockets (even)")
    parser.add_argument("--rate", type=float, default=0.1, help="msg/s per sender (steady)")
    parser.add_argument("--steady-seconds", type=float, default=30)
    parser.add_argument("--burst", type=int, default=10, help="messages per sender (saturation)")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--max-seconds", type=float, default=420)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if args.quick or os.environ.get("BENCH_QUICK") == "1":
        args.sockets, args.steady_seconds, args.burst = 40, 4, 5
    if not 8600 <= args.port <= 8699:
        parser.error("this bench uses ports 8600-8699")
    pair_count = max(1, args.sockets // 2)

    if common.port_is_open(args.port):
        # Another run is using it: do not touch the bench database under its feet.
        parser.error(f"port {args.port} is in use (is another run going?)")
    common.raise_fd_limit()
    proc = log = None
    try:
        common.log(f"creating and migrating {DB_NAME}")
        create_database()
        common.setup_django(DB_NAME, redis=REDIS)
        os.environ["CHANNEL_LAYER_PREFIX"] = PREFIX
        pairs = make_pairs(pair_count)
        from django.db import connections

        connections.close_all()
        common.log(f"{pair_count} conversations; starting daphne on {args.port}")
        proc, log = start_daphne(args.port)
        asyncio.run(asyncio.wait_for(run(args, pairs, args.port), args.max_seconds))
        return 0
    except TimeoutError:
        common.log(f"stopped after --max-seconds={args.max_seconds}")
        return 1
    finally:
        if proc is not None:
            common.stop_process(proc)
        if log is not None:
            log.close()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep:
            with contextlib.suppress(Exception):
                drop_database()
        with contextlib.suppress(Exception):
            clean_redis()


if __name__ == "__main__":
    sys.exit(main())
