"""Redis restarts while clients chat: the server recovers and clients resume without loss.

The longer version of realtime/tests/test_redis_restart.py, against a real daphne
process. A private redis-server (port 6391, no persistence, started and stopped here)
carries daphne's channel layer and cache, so the shared Redis is never touched. While
P pairs stream M chat messages each (the harness of reliability_chat_disconnects.py),
Redis is killed and restarted --restarts times. Every restart wipes the group
memberships; sockets must be closed by the server so that clients reconnect and resume.

Pass: every user has exactly messages 1..M in order and the database holds exactly M per
conversation. Also reported: how long after each restart a fresh socket works again.

Run:  .venv/bin/python bench/reliability_redis_restart.py [--pairs 30] [--restarts 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.reliability_chat_disconnects import DB, Socket, Stats, prepare, run_stream, server_env

BENCH = "reliability_redis_restart"
REDIS_PORT = 6391


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = common.start_redis_server(self.port)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        deadline = time.monotonic() + 10
        while common.port_is_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)


async def restarts(
    redis: PrivateRedis,
    port: int,
    token: str,
    count: int,
    every: float,
    down_for: float,
    recoveries: list[float],
    stop: asyncio.Event,
) -> None:
    for _ in range(count):
        await asyncio.sleep(every)
        if stop.is_set():
            return
        await asyncio.to_thread(redis.kill)
        await asyncio.sleep(down_for)
        await asyncio.to_thread(redis.start)
        recoveries.append(await _time_to_working_socket(port, token))


async def _time_to_working_socket(port: int, token: str) -> float:
    """Seconds from Redis being back until a new socket is accepted and answers a ping."""
    started = time.monotonic()
    probe = Socket(port, token, Stats())
    await asyncio.wait_for(probe.ensure(), 60)
    await probe.send({"type": "ping", "request_id": "probe"})
    while True:
        event = await asyncio.wait_for(probe.events.get(), 10)
        if event["type"] == "pong":
            break
    await probe.close()
    return time.monotonic() - started


async def main_async(args) -> bool:
    from asgiref.sync import sync_to_async

    pairs = await sync_to_async(prepare)(args.pairs)
    redis = PrivateRedis(REDIS_PORT)
    redis.start()
    server = common.start_daphne(
        args.port,
        DB,
        redis=f"redis://127.0.0.1:{REDIS_PORT}/0",
        extra_env=server_env(),
    )
    recoveries: list[float] = []
    try:

        async def chaos(_sockets, stop: asyncio.Event) -> None:
            await restarts(
                redis,
                args.port,
                pairs[0].user.token,
                args.restarts,
                args.every,
                args.down_for,
                recoveries,
                stop,
            )

        case = f"{args.pairs} pairs, {args.restarts} restarts"
        ok = await run_stream(
            bench=BENCH,
            case=case,
            port=args.port,
            pairs=pairs,
            messages=args.messages,
            interval=args.interval,
            chaos=chaos,
            stats=Stats(),
            time_limit=args.time_limit,
        )
        if recoveries:
            common.emit(
                BENCH,
                case,
                "new socket works after restart (max)",
                max(recoveries),
                "s",
                each=",".join(f"{r:.2f}" for r in recoveries),
            )
        ok = ok and len(recoveries) == args.restarts
        return ok
    finally:
        server.stop()
        redis.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--messages", type=int, default=80)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--every", type=float, default=2.5, help="seconds between restarts")
    parser.add_argument("--down-for", type=float, default=0.5, help="seconds Redis stays down")
    parser.add_argument("--port", type=int, default=8960)
    parser.add_argument("--time-limit", type=float, default=300)
    args = parser.parse_args()
    if os.environ.get("BENCH_QUICK") == "1":
        args.pairs, args.messages, args.restarts = 10, 40, 2
    ok = asyncio.run(main_async(args))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
