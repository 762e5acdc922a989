"""WebSocket delivery: N authenticated sockets on daphne over channels-redis.

For each N (default 100, 1000, 2000) one fresh daphne process is started; N users each
open /ws/?token=... with the `websockets` client. A separate publisher process sends
events the way realtime.events does (channels_redis group_send to `user.<id>` with the
v1 envelope) and the clients timestamp what arrives. Then the largest N is repeated with
the sockets split over two daphne processes sharing Redis, to show cross-process delivery.

Phases per run:
  latency     paced publishing (--rate msg/s) to random users: publish-to-receive p50/p95/p99
  throughput  --burst messages as fast as a window of in-flight sends allows; delivered
              messages/sec from first publish to last receive, and any lost
  memory      daphne RSS growth / N (RSS after all sockets open minus RSS after warm-up)
  chat        if a `chat.send` WebSocket handler is registered: send-to-receive latency

Run:  .venv/bin/python bench/bench_ws_delivery.py [--sizes 100,1000,2000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BENCH = "ws_delivery"
DB = "consult_h9_bench"
BASE_PORT = 8910
CONNECT_CONCURRENCY = 50


# --------------------------------------------------------------------- publisher process


def _envelope(seq: int) -> dict:
    # Same shape as realtime.events.make_envelope, plus a send timestamp in data.
    now = time.time()
    return {
        "v": 1,
        "type": "bench.tick",
        "id": uuid.uuid4().hex,
        "ts": datetime.fromtimestamp(now, UTC).isoformat(),
        "data": {"seq": seq, "t": now},
    }


async def _publish(redis_url: str, prefix: str, cmd: dict, received) -> dict:
    from channels_redis.core import RedisChannelLayer

    # Same layer configuration as project/settings/base.py (capacity is checked by the
    # sender, so the publisher must use the server's value).
    capacity = int(os.environ.get("CHANNEL_LAYER_CAPACITY", "20000"))
    layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix, capacity=capacity, expiry=30)
    targets: list[int] = cmd["targets"]
    count: int = cmd["count"]
    seq0: int = cmd["seq0"]
    started = time.monotonic()
    started_wall = time.time()

    async def send(i: int) -> None:
        uid = targets[i % len(targets)]
        await layer.group_send(
            f"user.{uid}", {"type": "realtime.event", "event": _envelope(seq0 + i)}
        )

    if cmd["mode"] == "closed":
        # At most `window` events published but not yet received: the rate the whole
        # pipeline sustains without ever filling the channel layer.
        # Several senders, because one group_send costs a few Redis round trips.
        window = cmd["window"]
        base = received.value
        next_i = 0

        async def closed_worker() -> None:
            nonlocal next_i
            while next_i < count:
                i = next_i
                next_i += 1
                while i - (received.value - base) >= window:  # noqa: ASYNC110 - other process
                    await asyncio.sleep(0.0005)
                await send(i)

        await asyncio.gather(*(closed_worker() for _ in range(cmd.get("senders", 16))))
    elif cmd["mode"] == "paced":
        interval = 1.0 / cmd["rate"]
        for i in range(count):
            delay = started + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await send(i)
    else:
        window: int = cmd["window"]
        next_i = 0

        async def worker() -> None:
            nonlocal next_i
            while next_i < count:
                i = next_i
                next_i += 1
                await send(i)

        await asyncio.gather(*(worker() for _ in range(window)))
    elapsed = time.monotonic() - started
    # Never layer.flush(): it would wipe the prefix daphne is using.
    await layer.close_pools()
    return {"sent": count, "elapsed": elapsed, "started_wall": started_wall}


def publisher_main(conn, redis_url: str, prefix: str, received) -> None:
    while True:
        cmd = conn.recv()
        if cmd is None:
            return
        conn.send(asyncio.run(_publish(redis_url, prefix, cmd, received)))


# --------------------------------------------------------------------- profile

PROFILE_RAW = common.ROOT / "var" / "bench" / "ws_delivery_daphne.pyspy.txt"
PROFILE_SUMMARY = common.ROOT / "var" / "bench" / "ws_delivery_profile.txt"
# Where a delivered event spends daphne's CPU, by the code that owns the frames.
PROFILE_BUCKETS = {
    "channels_redis receive (Redis I/O, msgpack)": "channels_redis/core.py",
    "consumer dispatch (channels)": "channels/consumer.py",
    "JSON encode": "json/encoder.py",
    "websocket framing + send (autobahn/twisted)": "autobahn/",
    "twisted reactor": "twisted/internet",
}


def report_profile(case: str) -> None:
    if not PROFILE_RAW.exists():
        common.log("py-spy produced no profile")
        return
    top = common.pyspy_summary(PROFILE_RAW, top=20)
    shares = common.inclusive_share(PROFILE_RAW, PROFILE_BUCKETS)
    lines = [f"daphne under the burst ({case}); py-spy, collapsed stacks in {PROFILE_RAW.name}", ""]
    lines += [f"{pct:5.1f}% of samples inside: {label}" for label, pct in shares.items()]
    lines += ["", " self%  incl%  function"]
    lines += [f"{own:5.1f}  {incl:5.1f}  {name}" for name, own, incl in top]
    PROFILE_SUMMARY.write_text("\n".join(lines) + "\n")
    for label, pct in shares.items():
        common.emit(BENCH, f"profile: {case}", f"daphne samples in {label}", pct, "%")
    common.log(f"profile summary in {PROFILE_SUMMARY}")


# --------------------------------------------------------------------- client side


@dataclass
class Sink:
    """Collects bench.tick arrivals for the current phase."""

    expected: int = 0
    received: int = 0
    latencies: list[float] = field(default_factory=list)
    seqs: set[int] = field(default_factory=set)
    duplicates: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    counter: object = None  # shared with the publisher process (closed-loop mode)

    def reset(self, expected: int) -> None:
        self.expected, self.received = expected, 0
        self.latencies, self.seqs, self.duplicates = [], set(), 0
        self.first_at = self.last_at = 0.0
        self.done = asyncio.Event()

    def record(self, data: dict, now: float) -> None:
        seq = data["seq"]
        if seq in self.seqs:
            self.duplicates += 1
            return
        self.seqs.add(seq)
        self.received += 1
        if self.counter is not None:
            self.counter.value += 1
        self.latencies.append(now - data["t"])
        self.first_at = self.first_at or now
        self.last_at = now
        if self.received >= self.expected:
            self.done.set()


@dataclass
class Client:
    user: common.BenchUser
    port: int
    ws: object = None
    task: asyncio.Task | None = None
    other: list[dict] = field(default_factory=list)


async def _reader(client: Client, sink_ref: list[Sink]) -> None:
    try:
        async for raw in client.ws:
            now = time.time()
            event = json.loads(raw)
            if event.get("type") == "bench.tick":
                sink_ref[0].record(event["data"], now)
            else:
                client.other.append({**event, "_at": now})
    except Exception:  # closed at the end of the run
        pass


async def open_clients(
    users: list[common.BenchUser], ports: list[int], sink_ref: list[Sink]
) -> tuple[list[Client], float]:
    from websockets.asyncio.client import connect

    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients = [Client(u, ports[i % len(ports)]) for i, u in enumerate(users)]

    async def open_one(c: Client) -> None:
        async with sem:
            c.ws = await connect(
                f"ws://127.0.0.1:{c.port}/ws/?token={c.user.token}",
                origin=f"http://127.0.0.1:{c.port}",
                compression=None,
                ping_interval=None,
                open_timeout=60,
                max_queue=None,
            )
            greeting = json.loads(await asyncio.wait_for(c.ws.recv(), 30))
            assert greeting["type"] == "session.ready", greeting
            c.task = asyncio.create_task(_reader(c, sink_ref))

    started = time.monotonic()
    await asyncio.gather(*(open_one(c) for c in clients))
    return clients, time.monotonic() - started


async def close_clients(clients: list[Client]) -> None:
    sem = asyncio.Semaphore(200)

    async def close_one(c: Client) -> None:
        async with sem:
            try:
                await asyncio.wait_for(c.ws.close(), 5)
            except Exception:
                pass
            if c.task:
                c.task.cancel()

    await asyncio.gather(*(close_one(c) for c in clients))


async def run_phase(conn, sink: Sink, cmd: dict, timeout: float) -> dict:
    sink.reset(cmd["count"])
    loop = asyncio.get_running_loop()
    conn.send(cmd)
    result = await loop.run_in_executor(None, conn.recv)
    try:
        await asyncio.wait_for(sink.done.wait(), timeout)
    except TimeoutError:
        pass
    # Let stragglers (and would-be duplicates) land before counting.
    await asyncio.sleep(0.3)
    return result


async def chat_phase(clients: list[Client], case: str, pairs: int, rounds: int) -> None:
    """Send chat.send over the socket and time arrival of chat.message at the peer."""
    from asgiref.sync import sync_to_async

    # The last sockets of this case: other cases use other users, so the per-user chat
    # rate limit of one case never throttles the next.
    setup = await sync_to_async(_chat_pairs, thread_sensitive=True)(clients[-2 * pairs :], pairs)
    if setup is None:
        common.emit(BENCH, case, "chat send→receive", "skipped", "", why="no chat app")
        return
    latencies: list[float] = []
    errors: list[str] = []
    for r in range(rounds):
        for sender, receiver, conv_id in setup:
            if len(errors) >= 3:
                break
            receiver.other.clear()
            sender.other.clear()
            client_id = uuid.uuid4().hex
            request_id = f"{r}-{client_id}"
            t0 = time.time()
            await sender.ws.send(
                json.dumps(
                    {
                        "type": "chat.send",
                        "request_id": request_id,
                        "data": {
                            "conversation_id": conv_id,
                            "text": f"bench {r}",
                            "client_id": client_id,
                        },
                    }
                )
            )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                hit = next((e for e in receiver.other if e.get("type") == "chat.message"), None)
                if hit:
                    latencies.append(hit["_at"] - t0)
                    break
                refused = next(
                    (
                        e
                        for e in sender.other
                        if e.get("type") == "error" and e["data"].get("request_id") == request_id
                    ),
                    None,
                )
                if refused:
                    errors.append(refused["data"].get("code", "?"))
                    break
                await asyncio.sleep(0.001)
            else:
                errors.append("timeout")
    s = common.summary_ms(latencies)
    for key in ("p50", "p95", "p99"):
        common.emit(BENCH, case, f"chat send→receive {key}", s[key], "ms", n=s["n"])
    if errors:
        common.emit(BENCH, case, "chat send errors", len(errors), "", codes=",".join(set(errors)))


def _chat_pairs(clients: list[Client], pairs: int):
    """(sender, receiver, conversation_id) for `pairs` user→expert pairs, or None without chat."""
    try:
        from django.contrib.auth.models import User

        from chat.models import ExpertChatConversation  # type: ignore
        from consultations.models import Expert
    except Exception:
        return None
    out = []
    for i in range(pairs):
        sender, receiver = clients[2 * i], clients[2 * i + 1]
        expert_user = User.objects.get(pk=receiver.user.id)
        expert, _ = Expert.objects.get_or_create(
            user=expert_user,
            defaults={"name": expert_user.email, "verification_status": "approved"},
        )
        conv, _ = ExpertChatConversation.objects.get_or_create(
            user_id=sender.user.id, expert=expert
        )
        out.append((sender, receiver, conv.id))
    return out


async def run_case(
    case: str,
    users: list[common.BenchUser],
    ports: list[int],
    conn,
    args,
) -> None:
    common.log(f"{case}: starting {len(ports)} daphne process(es)")
    servers = [common.start_daphne(p, DB, extra_env=args.daphne_env) for p in ports]
    sink_ref = [Sink(counter=args.received)]
    clients: list[Client] = []
    try:
        # Warm-up: one socket per process loads the code paths so the RSS baseline is fair.
        warm, _ = await open_clients(users[: len(ports)], ports, sink_ref)
        await close_clients(warm)
        await asyncio.sleep(1.0)
        base_rss = [s.rss_kib() for s in servers]

        n = len(users)
        clients, connect_s = await open_clients(users, ports, sink_ref)
        await asyncio.sleep(1.0)
        rss = [s.rss_kib() for s in servers]
        per_conn_kib = (sum(rss) - sum(base_rss)) / n
        common.emit(BENCH, case, "connect rate", n / connect_s, "sockets/s", n=n)
        common.emit(
            BENCH,
            case,
            "memory per connection",
            per_conn_kib,
            "KiB",
            daphne_rss_mib=round(sum(rss) / 1024, 1),
        )

        ids = [u.id for u in users]
        rng = random.Random(n)
        # Warm-up: the first events through a fresh process pay for lazy imports and pools.
        await run_phase(
            conn,
            sink_ref[0],
            {"mode": "paced", "targets": ids[:200], "count": 200, "seq0": 3 * 10**7, "rate": 200},
            timeout=30,
        )
        # Latency at a paced rate well under saturation.
        count = int(args.rate * args.latency_seconds)
        targets = [rng.choice(ids) for _ in range(count)]
        await run_phase(
            conn,
            sink_ref[0],
            {"mode": "paced", "targets": targets, "count": count, "seq0": 0, "rate": args.rate},
            timeout=30,
        )
        sink = sink_ref[0]
        s = common.summary_ms(sink.latencies)
        for key in ("p50", "p95", "p99"):
            common.emit(
                BENCH, case, f"publish→receive {key}", s[key], "ms", rate=f"{args.rate}/s", n=s["n"]
            )
        if sink.received != count or sink.duplicates:
            common.emit(BENCH, case, "paced lost/dup", f"{count - sink.received}/{sink.duplicates}")

        # Throughput, closed loop: round-robin over every socket (each process and socket
        # gets its share) with at most --window events in flight, so nothing is dropped.
        count = args.messages
        targets = [ids[i % n] for i in range(count)]
        spy = None
        if args.profile and len(ports) == 1 and n == max(int(x) for x in args.sizes.split(",")):
            # Sample daphne while it is saturated: what limits delivery?
            spy = common.pyspy_record(servers[0].pid, args.profile_seconds, PROFILE_RAW)
        watched = {f"daphne:{srv.port}": srv.pid for srv in servers}
        watched.update(client=os.getpid(), publisher=args.pub_pid)
        if (redis_pid := common.redis_server_pid()) is not None:
            watched["redis"] = redis_pid
        cpu_before = {k: common.cpu_seconds(pid) for k, pid in watched.items()}
        wall_before = time.monotonic()
        result = await run_phase(
            conn,
            sink_ref[0],
            {"mode": "closed", "targets": targets, "count": count, "seq0": 10**7,
             "window": args.window},
            timeout=120,
        )  # fmt: skip
        wall = time.monotonic() - wall_before
        busy = {
            k: 100 * (common.cpu_seconds(pid) - cpu_before[k]) / wall for k, pid in watched.items()
        }
        sink = sink_ref[0]
        # Which process ran out of CPU first (100% = one core) tells what limits delivery.
        common.emit(BENCH, case, "CPU busy in sustained phase, daphne", sum(
            v for k, v in busy.items() if k.startswith("daphne")), "% of a core",
            **{k: f"{v:.0f}%" for k, v in busy.items()})  # fmt: skip
        if spy is not None:
            await asyncio.to_thread(spy.wait, args.profile_seconds + 30)
            report_profile(case)
        span = sink.last_at - result["started_wall"] if sink.received else 0.0
        rate = sink.received / span if span > 0 else 0.0
        s = common.summary_ms(sink.latencies)
        common.emit(BENCH, case, "sustained delivery", rate, "msg/s",
                    messages=count, in_flight=args.window)  # fmt: skip
        common.emit(BENCH, case, "at that rate publish→receive p50", s["p50"], "ms")
        common.emit(BENCH, case, "at that rate publish→receive p99", s["p99"], "ms")
        common.emit(BENCH, case, "sustained lost / duplicated",
                    f"{count - sink.received} / {sink.duplicates}")  # fmt: skip

        # Overload, open loop: publish as fast as possible. Whatever daphne cannot drain
        # piles up in its Redis channel (capacity CHANNEL_LAYER_CAPACITY per process); past
        # that, channels_redis drops group messages silently; the row shows how many.
        if args.overload:
            targets = [ids[i % n] for i in range(args.overload)]
            await run_phase(
                conn,
                sink_ref[0],
                {"mode": "burst", "targets": targets, "count": args.overload, "seq0": 2 * 10**7,
                 "window": 32},
                timeout=60,
            )  # fmt: skip
            sink = sink_ref[0]
            common.emit(BENCH, case, "overload burst: lost / duplicated",
                        f"{args.overload - sink.received} / {sink.duplicates}",
                        burst=args.overload)  # fmt: skip
        common.emit(BENCH, case, "load average (1 min) at end", os.getloadavg()[0], "",
                    cores=os.cpu_count())  # fmt: skip
        if args.chat and len(ports) == 1 and n >= 20:
            await chat_phase(clients, case, pairs=10, rounds=10)
    finally:
        await close_clients(clients)
        for s in servers:
            s.stop()


async def main_async(args) -> None:
    sizes = [int(x) for x in args.sizes.split(",") if x]
    common.raise_fd_limit(20000)
    if not args.reuse_db:
        common.log(f"creating database {DB}")
        common.create_database(DB)
    common.setup_django(DB)
    common.flush_redis_db()
    from asgiref.sync import sync_to_async

    biggest = max([*sizes, args.two_process])
    users = await sync_to_async(common.make_users)(biggest, prefix="ws")
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    received = ctx.Value("q", 0, lock=False)  # only the client loop writes it
    pub = ctx.Process(
        target=publisher_main,
        args=(child, common.redis_url(), common.CHANNEL_PREFIX, received),
        daemon=True,
    )
    pub.start()
    args.received = received
    args.pub_pid = pub.pid
    try:
        for i, n in enumerate(sizes):
            await run_case(f"1 daphne, {n} sockets", users[:n], [BASE_PORT + i], parent, args)
        if args.two_process:
            n = args.two_process
            await run_case(
                f"2 daphne, {n} sockets", users[:n], [BASE_PORT + 10, BASE_PORT + 11], parent, args
            )
    finally:
        parent.send(None)
        pub.join(10)
        if pub.is_alive():
            pub.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,2000")
    parser.add_argument(
        "--two-process", type=int, default=2000, help="sockets for the two-daphne run (0 to skip)"
    )
    parser.add_argument("--rate", type=int, default=500, help="paced publishes per second")
    parser.add_argument("--latency-seconds", type=float, default=4)
    parser.add_argument("--messages", type=int, default=10000, help="closed-loop messages")
    parser.add_argument("--window", type=int, default=200, help="closed-loop events in flight")
    parser.add_argument(
        "--overload", type=int, default=5000, help="open-loop burst size (0 to skip)"
    )
    parser.add_argument("--no-chat", dest="chat", action="store_false")
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument(
        "--daphne-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for daphne, e.g. DB_CONN_MAX_AGE=60",
    )
    parser.add_argument(
        "--no-profile",
        dest="profile",
        action="store_false",
        help="skip the py-spy profile of daphne during the largest burst",
    )
    parser.add_argument("--profile-seconds", type=float, default=6)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    args.daphne_env = dict(item.split("=", 1) for item in args.daphne_env)
    if args.quick or os.environ.get("BENCH_QUICK") == "1":
        args.sizes, args.two_process, args.latency_seconds = "100", 100, 2
        args.messages, args.overload = 2000, 2000
    asyncio.run(asyncio.wait_for(main_async(args), timeout=900))


if __name__ == "__main__":
    main()
