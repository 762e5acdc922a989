"""Chat under random client disconnects: every client ends with every message once, in order.

P user/expert pairs chat over real sockets on a daphne process. Each expert streams M
messages (chat.send over its socket, retried with the same client_id until acknowledged);
each user receives them live. Meanwhile a chaos task aborts random sockets (senders and
receivers) every --chaos-interval seconds. Clients behave like the frontend: on reconnect
they send chat.resume with their last seq; live events with seq <= last are dropped as
duplicates; a gap (seq > last + 1) triggers a resume.

Pass: for every pair the user's delivered sequence is exactly 1..M and the database holds
exactly M messages (no loss, no duplicate, no reordering). Exit status 1 otherwise.

Run:  .venv/bin/python bench/reliability_chat_disconnects.py [--pairs 40] [--messages 60]

reliability_redis_restart.py reuses this harness with Redis restarts as the chaos.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

DB = "consult_h9_rel"


@dataclass
class Stats:
    aborts: int = 0
    reconnects: int = 0
    resumes: int = 0
    duplicates_dropped: int = 0
    gaps: int = 0
    send_retries: int = 0
    server_errors: int = 0


@dataclass
class Pair:
    index: int
    user: common.BenchUser
    expert: common.BenchUser
    conversation_id: int
    delivered: list[int] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.delivered[-1] if self.delivered else 0


def make_pairs(count: int) -> list[Pair]:
    from django.contrib.auth.models import User

    from chat import services
    from consultations.models import Expert

    users = common.make_users(count, prefix="reluser")
    experts = common.make_users(count, prefix="relexpert")
    pairs = []
    for i, (u, e) in enumerate(zip(users, experts, strict=True)):
        expert = Expert.objects.create(
            user_id=e.id, name=f"Expert {i}", verification_status="approved"
        )
        conversation, _ = services.get_or_create_conversation(
            user=User.objects.get(pk=u.id), expert_id=expert.pk
        )
        pairs.append(Pair(i, u, e, conversation.pk))
    return pairs


class Socket:
    """One client's connection that reconnects itself (with a short backoff)."""

    def __init__(self, port: int, token: str, stats: Stats, on_open=None) -> None:
        self.port, self.token, self.stats = port, token, stats
        self.ws = None
        self.on_open: Callable[[], Awaitable[None]] | None = on_open
        self.events: asyncio.Queue = asyncio.Queue()
        self._reader: asyncio.Task | None = None
        self.closed_by_us = False

    async def ensure(self) -> None:
        from websockets.asyncio.client import connect

        while self.ws is None:
            try:
                ws = await connect(
                    f"ws://127.0.0.1:{self.port}/ws/?token={self.token}",
                    origin=f"http://127.0.0.1:{self.port}",
                    compression=None,
                    open_timeout=10,
                    ping_interval=5,
                    ping_timeout=5,
                )
                greeting = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert greeting["type"] == "session.ready", greeting
            except Exception:
                await asyncio.sleep(0.2 + random.random() * 0.3)
                continue
            self.ws = ws
            self._reader = asyncio.create_task(self._read(ws))
            self.stats.reconnects += 1
            if self.on_open:
                await self.on_open()

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                await self.events.put(json.loads(raw))
        except Exception:
            pass
        finally:
            if self.ws is ws:
                self.ws = None
            await self.events.put({"type": "_closed"})

    async def send(self, payload: dict) -> bool:
        ws = self.ws
        if ws is None:
            return False
        try:
            await ws.send(json.dumps(payload))
            return True
        except Exception:
            return False

    def abort(self) -> None:
        if common.abort_websocket(self.ws):
            self.stats.aborts += 1

    async def close(self) -> None:
        self.closed_by_us = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 3)
        if self._reader:
            self._reader.cancel()


async def sender(pair: Pair, sock: Socket, messages: int, interval: float, stats: Stats) -> None:
    for k in range(1, messages + 1):
        client_id = f"p{pair.index}-m{k}"
        attempt = 0
        while True:
            await sock.ensure()
            request_id = f"{client_id}-{attempt}"
            ok = await sock.send(
                {
                    "type": "chat.send",
                    "request_id": request_id,
                    "data": {
                        "conversation_id": pair.conversation_id,
                        "text": f"message {k}",
                        "client_id": client_id,
                    },
                }
            )
            if ok and await _wait_ack(sock, request_id):
                break
            attempt += 1
            stats.send_retries += 1
        await asyncio.sleep(interval)


async def _wait_ack(sock: Socket, request_id: str, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = await asyncio.wait_for(sock.events.get(), left)
        except TimeoutError:
            return False
        if event["type"] == "_closed":
            return False
        if event["type"] == "chat.send.ok" and event["data"].get("request_id") == request_id:
            return True
        if event["type"] == "error" and event["data"].get("request_id") == request_id:
            # Retried with the same client_id, so a retry can never make a second message:
            # a throttled send after a pause, a server_error (e.g. Redis briefly gone) at once.
            # Any other refusal is a bug.
            code = event["data"].get("code")
            if code in ("throttled", "rate_limited"):
                await asyncio.sleep(1)
                return False
            if code == "server_error":
                sock.stats.server_errors += 1
                await asyncio.sleep(0.2)
                return False
            raise RuntimeError(f"send refused: {event}")
    return False


class Receiver:
    def __init__(self, pair: Pair, port: int, stats: Stats) -> None:
        self.pair, self.stats = pair, stats
        self.sock = Socket(port, pair.user.token, stats, on_open=self.request_resume)
        self.done = False

    async def request_resume(self) -> None:
        self.stats.resumes += 1
        await self.sock.send(
            {
                "type": "chat.resume",
                "request_id": "resume",
                "data": {"cursors": {str(self.pair.conversation_id): self.pair.last}},
            }
        )

    def deliver(self, seq: int) -> bool:
        """Apply one message as the frontend would; False when a gap needs a resume."""
        if seq <= self.pair.last:
            self.stats.duplicates_dropped += 1
            return True
        if seq != self.pair.last + 1:
            self.stats.gaps += 1
            return False
        self.pair.delivered.append(seq)
        return True

    async def run(self) -> None:
        while not self.done:
            await self.sock.ensure()
            try:
                event = await asyncio.wait_for(self.sock.events.get(), 0.5)
            except TimeoutError:
                continue
            kind = event["type"]
            if kind == "chat.message":
                data = event["data"]
                if data.get("conversation_id") == self.pair.conversation_id:
                    if not self.deliver(data["seq"]):
                        await self.request_resume()
            elif kind == "chat.resume.ok":
                for m in event["data"]["messages"]:
                    if m["conversation_id"] == self.pair.conversation_id:
                        self.deliver(m["seq"])
                if event["data"].get("has_more"):
                    await self.request_resume()


Chaos = Callable[[list[Socket], asyncio.Event], Awaitable[None]]


async def random_aborts(sockets: list[Socket], stop: asyncio.Event, interval: float) -> None:
    """A tenth of the sockets (at least one) dropped every `interval` seconds."""
    await common.abort_at_random(
        sockets, stop, interval, Socket.abort, share=0.1, rng=random.Random(7)
    )


async def run_stream(
    *,
    bench: str,
    case: str,
    port: int,
    pairs: list[Pair],
    messages: int,
    interval: float,
    chaos: Callable[[list[Socket], asyncio.Event], Awaitable[None]],
    stats: Stats,
    time_limit: float,
) -> bool:
    receivers = [Receiver(p, port, stats) for p in pairs]
    senders = [Socket(port, p.expert.token, stats) for p in pairs]
    for r in receivers:
        await r.sock.ensure()
    receiver_tasks = [asyncio.create_task(r.run()) for r in receivers]
    stop = asyncio.Event()
    chaos_task = asyncio.create_task(chaos([r.sock for r in receivers] + senders, stop))
    started = time.monotonic()
    sender_tasks = [
        asyncio.create_task(sender(p, s, messages, interval, stats))
        for p, s in zip(pairs, senders, strict=True)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*sender_tasks), time_limit)
    except TimeoutError:
        common.log("senders did not finish in time")
    stop.set()
    await chaos_task
    elapsed = time.monotonic() - started
    # Quiet period: receivers catch up (a final resume picks up anything still missing).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(len(p.delivered) < messages for p in pairs):
        for r in receivers:
            if len(r.pair.delivered) < messages:
                await r.request_resume()
        await asyncio.sleep(1)
    for r in receivers:
        r.done = True
    await asyncio.gather(*receiver_tasks, return_exceptions=True)
    for s in [r.sock for r in receivers] + senders:
        await s.close()

    stored = await _stored_counts([p.conversation_id for p in pairs])
    expected = list(range(1, messages + 1))
    bad = [p.index for p in pairs if p.delivered != expected]
    wrong_db = [cid for cid, n in stored.items() if n != messages]
    total = messages * len(pairs)
    delivered = sum(len(p.delivered) for p in pairs)
    ok = not bad and not wrong_db
    common.emit(bench, case, "result", "PASS" if ok else "FAIL", "",
                pairs=len(pairs), messages=total)  # fmt: skip
    common.emit(bench, case, "delivered exactly once, in order", delivered, "msgs", of=total)
    common.emit(bench, case, "clients with loss/dup/disorder", len(bad), "")
    common.emit(bench, case, "conversations with wrong stored count", len(wrong_db), "")
    common.emit(bench, case, "socket aborts / reconnects", f"{stats.aborts} / {stats.reconnects}")
    common.emit(
        bench,
        case,
        "resumes / dup dropped / gaps",
        f"{stats.resumes} / {stats.duplicates_dropped} / {stats.gaps}",
    )
    common.emit(
        bench, case, "send retries (of which server_error)",
        f"{stats.send_retries} ({stats.server_errors})",
    )  # fmt: skip
    common.emit(bench, case, "stream time", elapsed, "s")
    if bad:
        p = pairs[bad[0]]
        common.log(f"pair {p.index} delivered {p.delivered[:20]}... ({len(p.delivered)})")
    return ok


async def _stored_counts(conversation_ids: list[int]) -> dict[int, int]:
    from asgiref.sync import sync_to_async
    from django.db.models import Count

    from chat.models import ExpertChatMessage

    def count() -> dict[int, int]:
        rows = (
            ExpertChatMessage.objects.filter(conversation_id__in=conversation_ids)
            .values("conversation_id")
            .annotate(n=Count("id"))
        )
        found = {r["conversation_id"]: r["n"] for r in rows}
        return {cid: found.get(cid, 0) for cid in conversation_ids}

    return await sync_to_async(count)()


def prepare(pairs: int, db: str = DB) -> list[Pair]:
    common.raise_fd_limit(20000)
    common.create_database(db)
    common.setup_django(db)
    return make_pairs(pairs)


def server_env() -> dict[str, str]:
    # The stream is the load here; the per-user chat rate limit would only slow it down.
    return {"CHAT_RATE_LIMIT_PER_MINUTE": "100000", "WS_FRAMES_PER_SECOND": "100000"}


async def main_async(args) -> bool:
    from asgiref.sync import sync_to_async

    pairs = await sync_to_async(prepare)(args.pairs)
    common.flush_redis_db()
    server = common.start_daphne(args.port, DB, extra_env=server_env())
    try:
        return await run_stream(
            bench="reliability_chat_disconnects",
            case=f"{args.pairs} pairs, aborts every {args.chaos_interval}s",
            port=args.port,
            pairs=pairs,
            messages=args.messages,
            interval=args.interval,
            chaos=lambda socks, stop: random_aborts(socks, stop, args.chaos_interval),
            stats=Stats(),
            time_limit=args.time_limit,
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--chaos-interval", type=float, default=0.3)
    parser.add_argument("--port", type=int, default=8950)
    parser.add_argument("--time-limit", type=float, default=240)
    args = parser.parse_args()
    if os.environ.get("BENCH_QUICK") == "1":
        args.pairs, args.messages = 10, 20
    ok = asyncio.run(main_async(args))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
