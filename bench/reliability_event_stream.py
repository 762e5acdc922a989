"""Every event type, under socket aborts, a daphne kill and a Redis restart: 0 lost, 0 doubled.

U users with T tabs (sockets) each follow their per-user event stream on a real daphne
process. Two publisher threads publish events of every durable type in the catalogue
(realtime/catalogue.py: bookings, meetings, chat, verification, availability,
notifications; the run refuses to start if a durable type has no sample payload) to
random users through the product's publishing path (`realtime.events._send_now`: stream
append, then channel layer). Clients behave like the
frontend: they remember (epoch, offset), reconnect with `?epoch=…&offset=…`, and ack.

Chaos, one case each (`--case`):
  aborts  random sockets are aborted (no close frame) every --abort-every seconds
  kill    daphne is SIGKILLed mid-run and started again on the same port
  redis   the private redis-server (AOF, fsync always) is killed and restarted mid-run

Pass, per tab: the received sequence of envelope ids equals the published one for its
user (same order), no offset gap or duplicate was ever delivered, no resync was needed.
Events whose stream append failed (Redis down at that moment) are reported, not counted
as published. Exit status 1 when a case fails.

Run:  .venv/bin/python bench/reliability_event_stream.py [--users 20] [--tabs 2]
      [--events 1200] [--case aborts kill redis]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BENCH = "reliability_event_stream"
DB = "consult_h9_stream"
PREFIX = "h9s"
REDIS_PORT = 6393
PORT = 8971

BOOKING = {
    "id": 1,
    "status": "confirmed",
    "start_at": "2026-12-01T09:00:00+00:00",
    "end_at": "2026-12-01T09:30:00+00:00",
    "duration_minutes": 30,
    "topic": "Tax",
    "user_id": 1,
    "user_name": "Uma",
    "expert_id": 1,
    "expert_name": "Ed",
    "expert_user_id": 2,
    "payment_status": "not_required",
    "rescheduled_from_id": None,
    "cancelled_by_id": None,
    "cancellation_reason": "",
}
MEETING = {
    "consultation_id": 1,
    "status": "confirmed",
    "room": "room-1",
    "meeting_started_at": "2026-12-01T09:00:00+00:00",
    "meeting_ended_at": None,
}
MESSAGE = {
    "conversation_id": 1,
    "id": 1,
    "seq": 1,
    "rev": 1,
    "client_id": "c1",
    "sender_id": 2,
    "kind": "text",
    "text": "hello",
    "reply_to": None,
    "attachment": None,
    "created_at": "2026-12-01T09:00:00+00:00",
    "edited_at": None,
    "deleted": False,
    "deleted_at": None,
    "read_at": None,
}
SAMPLES = {
    "booking.created": BOOKING,
    "booking.confirmed": BOOKING,
    "booking.cancelled": BOOKING | {"full_refund": True, "refund_amount": "40.00"},
    "booking.rescheduled": BOOKING | {"previous": BOOKING},
    "booking.no_show": BOOKING | {"full_refund": False, "refund_amount": "0.00"},
    "booking.policy_waived": BOOKING,
    "meeting.started": MEETING | {"started_by": 2},
    "meeting.ended": MEETING | {"ended_by": None, "reason": "timed_out"},
    "chat.message": MESSAGE,
    "chat.message_edited": MESSAGE,
    "chat.message_deleted": MESSAGE | {"deleted": True},
    "chat.read": {
        "conversation_id": 1,
        "reader_id": 2,
        "up_to_seq": 1,
        "read_at": BOOKING["end_at"],
    },
    "chat.unread": {"total": 1, "conversations": {"1": 1}, "conversation_id": 1, "unread": 1},
    "chat.conversation": {
        "conversation_id": 1,
        "status": "active",
        "blocked_by": None,
        "last_seq": 1,
        "last_rev": 1,
        "last_message_at": None,
    },
    "verification.updated": {
        "application_id": 1,
        "application_status": "approved",
        "expert_id": 1,
        "expert_status": "approved",
        "is_verified": True,
        "from_status": "pending",
        "to_status": "approved",
        "notes": "",
    },
    "availability.updated": {"expert_id": 1, "change": "override_created", "date": "2026-12-01"},
    "notification.created": {
        "id": 1,
        "kind": "consultation.created",
        "title": "New booking",
        "body": "",
        "data": {},
        "url": "/consultations/1",
        "is_read": False,
        "read_at": None,
        "created_at": BOOKING["start_at"],
        "unread_count": 1,
    },
    "notification.read": {"ids": [1], "unread_count": 0},
}


@dataclass
class Stats:
    aborts: int = 0
    reconnects: int = 0
    replayed: int = 0
    resyncs: int = 0
    gaps_delivered: int = 0
    duplicates_delivered: int = 0
    epoch_changes: int = 0
    publish_failures: int = 0
    acks: int = 0


@dataclass
class Tab:
    user_id: int
    token: str
    stats: Stats
    epoch: str | None = None
    offset: int = 0
    received: list[str] = field(default_factory=list)
    ws: object = None

    async def run(self, stop: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        while not stop.is_set():
            url = f"ws://127.0.0.1:{PORT}/ws/?token={self.token}"
            if self.epoch:
                url += f"&epoch={self.epoch}&offset={self.offset}"
            try:
                async with connect(
                    url, origin=f"http://127.0.0.1:{PORT}", open_timeout=5, compression=None
                ) as ws:
                    self.ws = ws
                    self.stats.reconnects += 1
                    await self._read(ws, stop)
            except Exception:
                pass
            self.ws = None
            await asyncio.sleep(0.05 + random.random() * 0.2)

    async def _read(self, ws, stop: asyncio.Event) -> None:
        since_ack = 0
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            event = json.loads(raw)
            if event["type"] == "session.ready":
                data = event["data"]
                self.stats.replayed += data["replayed"]
                if data["resync"] and self.epoch is not None:
                    self.stats.resyncs += 1
                if data["stream"]:
                    self.epoch, self.offset = data["stream"]["epoch"], data["stream"]["offset"]
                continue
            if event["type"] == "stream.reset":
                self.stats.resyncs += 1
                self.epoch = event["data"]["stream"]["epoch"]
                self.offset = event["data"]["stream"]["offset"]
                continue
            if "offset" not in event:
                continue
            if event["epoch"] != self.epoch:
                self.stats.epoch_changes += 1
                self.epoch, self.offset = event["epoch"], event["offset"] - 1
            if event["offset"] <= self.offset:
                self.stats.duplicates_delivered += 1
                continue
            if event["offset"] != self.offset + 1:
                self.stats.gaps_delivered += 1
            self.offset = event["offset"]
            self.received.append(event["id"])
            since_ack += 1
            if since_ack >= 20:
                since_ack = 0
                self.stats.acks += 1
                await ws.send(
                    json.dumps(
                        {
                            "type": "stream.ack",
                            "request_id": "a",
                            "data": {"epoch": self.epoch, "offset": self.offset},
                        }
                    )
                )


def check_samples() -> None:
    """Every durable type of the catalogue has a sample here, and each sample fits."""
    from realtime.catalogue import CATALOGUE, validate_payload

    durable = {t for t, spec in CATALOGUE.items() if spec.durable and not spec.socket_only}
    missing = durable - set(SAMPLES)
    if missing:
        raise SystemExit(f"no sample payload for {sorted(missing)}: add one to SAMPLES")
    for event_type, data in SAMPLES.items():
        validate_payload(event_type, data)


class Publisher:
    """Publishes through the product path and records each user's sequence of event ids."""

    def __init__(self, user_ids: list[int], total: int, rate: float, stats: Stats) -> None:
        self.user_ids, self.total, self.rate, self.stats = user_ids, total, rate, stats
        self.published: dict[int, list[tuple[int, str]]] = defaultdict(list)
        self.lock = threading.Lock()
        self.types = sorted(SAMPLES)
        self.done = threading.Event()
        self.per_type: dict[str, int] = defaultdict(int)

    def run(self, worker: int, count: int) -> None:
        from realtime import events

        original = events._append_to_streams

        for k in range(count):
            event_type = self.types[(worker + k) % len(self.types)]
            # Half the events go to two users at once (like booking and chat events).
            recipients = random.sample(self.user_ids, 2 if k % 2 else 1)
            events.check_event(event_type, SAMPLES[event_type])
            envelope = events.make_envelope(event_type, SAMPLES[event_type])
            envelopes = original(sorted(recipients), envelope)
            with self.lock:
                self.per_type[event_type] += 1
                for uid, env in zip(sorted(recipients), envelopes, strict=True):
                    if "offset" in env:
                        self.published[uid].append((env["offset"], env["id"]))
                    else:
                        self.stats.publish_failures += 1
            _send_live(sorted(recipients), envelopes)
            time.sleep(1 / self.rate)

    def sequences(self) -> dict[int, list[str]]:
        return {uid: [i for _o, i in sorted(seq)] for uid, seq in self.published.items()}


def _send_live(user_ids: list[int], envelopes: list[dict]) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from realtime import events

    with contextlib.suppress(Exception):  # Redis down: the stream replays it later
        async_to_sync(events._group_send_all)(get_channel_layer(), user_ids, envelopes)


def start_redis(data_dir: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--dir",
            data_dir,
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    common.wait_port(REDIS_PORT, 10, proc)
    return proc


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


async def run_case(case: str, args, users, redis_holder: dict) -> bool:
    from asgiref.sync import sync_to_async

    stats = Stats()
    redis_url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    extra = {"REALTIME_ACK_TIMEOUT_SECONDS": "0", "REALTIME_MAX_LAG_SECONDS": "60"}
    server = common.start_daphne(PORT, DB, redis=redis_url, prefix=PREFIX, extra_env=extra)
    stop_tabs = asyncio.Event()
    tabs = [Tab(u.id, u.token, stats) for u in users for _ in range(args.tabs)]
    tab_tasks = [asyncio.create_task(t.run(stop_tabs)) for t in tabs]
    deadline = time.monotonic() + 20
    while any(t.epoch is None for t in tabs) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)

    publisher = Publisher([u.id for u in users], args.events, args.rate, stats)
    half = args.events // 2
    started = time.monotonic()
    pub = asyncio.gather(
        sync_to_async(publisher.run, thread_sensitive=False)(0, half),
        sync_to_async(publisher.run, thread_sensitive=False)(1, args.events - half),
    )
    chaos_stop = asyncio.Event()

    async def chaos() -> None:
        if case == "aborts":

            def abort(tab: Tab) -> None:
                if common.abort_websocket(tab.ws):
                    stats.aborts += 1

            await common.abort_at_random(tabs, chaos_stop, args.abort_every, abort)
        elif case == "kill":
            await asyncio.sleep(args.events / args.rate / 3)
            server.proc.kill()
            server.proc.wait(10)
            stats.aborts += 1
            await asyncio.sleep(1)
            new = common.start_daphne(PORT, DB, redis=redis_url, prefix=PREFIX, extra_env=extra)
            server.proc = new.proc
        elif case == "redis":
            await asyncio.sleep(args.events / args.rate / 3)
            kill(redis_holder["proc"])
            stats.aborts += 1
            await asyncio.sleep(1)
            redis_holder["proc"] = start_redis(redis_holder["dir"])

    chaos_task = asyncio.create_task(chaos())
    await pub
    chaos_stop.set()
    await chaos_task
    publish_seconds = time.monotonic() - started
    expected = publisher.sequences()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(t.received == expected.get(t.user_id, []) for t in tabs):
            break
        await asyncio.sleep(0.2)
    stop_tabs.set()
    await asyncio.gather(*tab_tasks, return_exceptions=True)
    server.stop()

    lost = duplicated = reordered = 0
    for t in tabs:
        want = expected.get(t.user_id, [])
        got = t.received
        lost += len(set(want) - set(got))
        duplicated += len(got) - len(set(got))
        if [i for i in got if i in set(want)] != [i for i in want if i in set(got)]:
            reordered += 1
    orders_equal = all(
        len({tuple(t.received) for t in tabs if t.user_id == u.id}) == 1 for u in users
    )
    published = sum(len(v) for v in expected.values())
    ok = (
        lost == 0
        and duplicated == 0
        and reordered == 0
        and orders_equal
        and stats.gaps_delivered == 0
        and stats.duplicates_delivered == 0
        and stats.resyncs == 0
    )
    label = f"{case}: {len(users)} users x {args.tabs} tabs, {len(publisher.per_type)} event types"
    for metric, value in [
        ("events published (per-user deliveries)", published),
        ("event types covered", len(publisher.per_type)),
        ("lost", lost),
        ("duplicated", duplicated),
        ("tabs out of order", reordered),
        ("all tabs of a user saw the same order", "yes" if orders_equal else "NO"),
        ("gaps/duplicates seen by clients", stats.gaps_delivered + stats.duplicates_delivered),
        ("resyncs needed", stats.resyncs),
        ("chaos (aborts / kills / restarts)", stats.aborts),
        ("reconnects", stats.reconnects),
        ("events replayed on reconnect", stats.replayed),
        ("publishes without a stream offset (Redis down)", stats.publish_failures),
        ("publish seconds", round(publish_seconds, 1)),
        ("result", "PASS" if ok else "FAIL"),
    ]:
        common.emit(BENCH, label, metric, value)
    return ok


async def main_async(args) -> bool:
    from asgiref.sync import sync_to_async

    data_dir = tempfile.mkdtemp(prefix="consult-stream-redis-")
    redis_holder = {"dir": data_dir, "proc": start_redis(data_dir)}
    redis_url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    try:
        common.raise_fd_limit(20000)
        common.create_database(DB)
        import os

        os.environ["CHANNEL_LAYER_PREFIX"] = PREFIX
        common.setup_django(DB, redis=redis_url)
        from django.conf import settings

        settings.CHANNEL_LAYERS["default"].setdefault("CONFIG", {})["prefix"] = PREFIX
        check_samples()
        users = await sync_to_async(common.make_users)(args.users, prefix="streamuser")
        results = []
        for case in args.case:
            results.append(await run_case(case, args, users, redis_holder))
        return all(results)
    finally:
        kill(redis_holder["proc"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--tabs", type=int, default=2)
    parser.add_argument("--events", type=int, default=1200)
    parser.add_argument("--rate", type=float, default=100.0, help="events/s per publisher")
    parser.add_argument("--abort-every", type=float, default=0.2)
    parser.add_argument("--case", nargs="+", default=["aborts", "kill", "redis"])
    args = parser.parse_args()
    ok = asyncio.run(main_async(args))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
