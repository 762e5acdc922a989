"""The durable per-user event stream: offsets, epochs, replay and acknowledgements.

Every durable event published to a user (see `realtime.catalogue`) is appended to that
user's stream and gets the next **offset** (1, 2, 3, … with no gaps). The stream has an
**epoch**: a token that changes whenever its history is lost (Redis flushed or restarted
without persistence, the keys expired). A tab remembers the (epoch, offset) of the last
event it saw; on reconnect the consumer replays what it missed, or, when the history no
longer covers it (other epoch, trimmed past the offset), tells it to resync by fetching.

Storage (Redis, the server every process already shares): per user a Redis Stream
`<prefix>:ustream:<id>` holding the serialized envelopes (field `o` = offset, `e` = JSON),
bounded by length (XADD MAXLEN ~ REALTIME_STREAM_MAXLEN) and age (XTRIM MINID ~ now -
REALTIME_STREAM_MAX_AGE_SECONDS; stream IDs are time-based), and a small hash
`<prefix>:ustream:<id>:m` with the last offset, the epoch and the highest acknowledged
offset. One Lua script does INCR + XADD + trims atomically, so offsets follow stream order;
one call of it appends everything a socket action published, to all its recipients.

Because offsets are consecutive and trimming only removes the oldest entries, the events
after offset `k` are exactly the newest `last - k` entries: replay is one XREVRANGE COUNT.

Without REDIS_URL (the embedded dev mode, a single process) a process-local store with the
same behaviour is used.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from realtime import encoding

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Position:
    epoch: str
    offset: int

    def as_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "offset": self.offset}


@dataclass
class Resume:
    """What the server found for a reconnecting tab."""

    position: Position  # the stream's newest (epoch, offset) as of the read
    events: list[dict[str, Any]] = field(default_factory=list)  # missed, oldest first
    resync: bool = False  # history cannot cover the gap: refetch


def maxlen() -> int:
    return int(settings.REALTIME_STREAM_MAXLEN)


def max_age_ms() -> int:
    return int(float(settings.REALTIME_STREAM_MAX_AGE_SECONDS) * 1000)


def meta_ttl_ms() -> int:
    return int(float(settings.REALTIME_STREAM_META_TTL_SECONDS) * 1000)


def _prefix() -> str:
    layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
    config = layers.get("default", {}).get("CONFIG", {}) or {}
    return str(config.get("prefix") or os.environ.get("CHANNEL_LAYER_PREFIX", "consult"))


def _new_epoch() -> str:
    return uuid.uuid4().hex[:12]


def _timestamp(envelope: dict[str, Any]) -> float:
    """The envelope's `ts` in seconds since the epoch (0 when it has none)."""
    try:
        return datetime.fromisoformat(envelope["ts"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return 0.0


def encode(envelope: dict[str, Any]) -> bytes:
    return encoding.dumps_bytes(envelope)


def _decode(raw: Any, offset: int, epoch: str) -> dict[str, Any]:
    envelope: dict[str, Any] = encoding.loads(raw)
    envelope["offset"] = offset
    envelope["epoch"] = epoch
    return envelope


# --------------------------------------------------------------------------- Redis

# Every append of a batch in one call (a socket action's events, see
# realtime.events.publish_batched): each event to each of its recipients, in the order given.
# KEYS: each recipient's meta hash and stream (2 per user). ARGV: maxlen, max age ms, meta
# ttl ms, a new epoch, the number of events, then either '' or one pub/sub channel per user
# (see below), then per event: its JSON, id, type, timestamp (seconds), its number of
# recipients and each one's place in KEYS (1 = the first user). Returns offset, epoch per
# append. A history that is new or was lost gets a new epoch, a different one per user.
# One call per append, with the same arguments again and again, cost the socket process
# more to build and parse than the appends themselves (py-spy, bench_core).
#
# With channels, the script also delivers the events live: one PUBLISH per user on its
# channel-layer group channel, a `realtime.frames` message (msgpack, as the pub/sub layer
# reads it) whose frames carry the socket frame itself (the stored JSON with the offset
# and epoch added at its end, exactly what encoding the envelope with them would give)
# and what the consumer checks before sending it (realtime/consumers.py). Published in the
# same step as the appends, so a user's messages follow its offsets.
_APPEND_BATCH = """
local maxlen, age, ttl, base = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local users = #KEYS / 2
local epochs, out, frames, channels, pos = {}, {}, {}, nil, 7
if ARGV[6] ~= '' then
  channels, pos = {}, 6
  for u = 1, users do channels[u] = ARGV[pos + u - 1] end
  pos = pos + users
end
for _ = 1, tonumber(ARGV[5]) do
  local payload, id, kind, ts = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2], tonumber(ARGV[pos + 3])
  local n = tonumber(ARGV[pos + 4])
  pos = pos + 5
  for _ = 1, n do
    local u = tonumber(ARGV[pos])
    pos = pos + 1
    local meta, stream = KEYS[2 * u - 1], KEYS[2 * u]
    local epoch = epochs[u]
    if not epoch then
      epoch = redis.call('HGET', meta, 'epoch')
      if not epoch then
        -- A new or lost history: whatever entries remain belong to no epoch any more.
        epoch = string.sub(redis.sha1hex(base .. ':' .. u), 1, 12)
        redis.call('DEL', stream)
        redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
      end
      epochs[u] = epoch
    end
    local off = redis.call('HINCRBY', meta, 'offset', 1)
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'o', off, 'e', payload)
    out[#out + 1] = off
    out[#out + 1] = epoch
    if channels then
      local text = string.sub(payload, 1, -2) .. ',"offset":' .. off
        .. ',"epoch":"' .. epoch .. '"}'
      frames[u] = frames[u] or {}
      table.insert(frames[u], {text, off, epoch, id, kind, ts})
    end
  end
end
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for u = 1, users do
  redis.call('XTRIM', KEYS[2 * u], 'MINID', '~', now_ms - age)
  redis.call('PEXPIRE', KEYS[2 * u], age)
  redis.call('PEXPIRE', KEYS[2 * u - 1], ttl)
  if channels and frames[u] then
    local message = cmsgpack.pack({type = 'realtime.frames', frames = frames[u]})
    redis.call('PUBLISH', channels[u], message)
  end
end
return out
"""
# Appends per call: one call holds Redis for as long as it runs.
_APPEND_BATCH_MAX = 200

# KEYS: meta hash, stream. ARGV: client epoch ('' = none), client offset, max replay,
# meta ttl ms, new epoch.
# Returns {epoch, last offset, status, entries...}; status: fresh | ok | resync.
_RESUME = """
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'offset')
local epoch = meta[1]
local last = tonumber(meta[2]) or 0
if not epoch then
  epoch = ARGV[5]
  last = 0
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if ARGV[1] == '' then return {epoch, last, 'fresh'} end
local have = tonumber(ARGV[2])
if ARGV[1] ~= epoch or have == nil or have > last then return {epoch, last, 'resync'} end
local missing = last - have
if missing == 0 then return {epoch, last, 'ok'} end
if missing > tonumber(ARGV[3]) then return {epoch, last, 'resync'} end
local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', missing)
if #entries < missing then return {epoch, last, 'resync'} end
local out = {epoch, last, 'ok'}
for i = #entries, 1, -1 do
  local fields = entries[i][2]
  local o, e
  for j = 1, #fields, 2 do
    if fields[j] == 'o' then o = fields[j + 1] elseif fields[j] == 'e' then e = fields[j + 1] end
  end
  if i == #entries and tonumber(o) ~= have + 1 then return {epoch, last, 'resync'} end
  out[#out + 1] = o
  out[#out + 1] = e
end
return out
"""

# KEYS: meta hash. ARGV: epoch, offset. Raises the acknowledged offset, never lowers it.
_ACK = """
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'offset', 'acked')
if meta[1] ~= ARGV[1] then return -1 end
local off = math.min(tonumber(ARGV[2]), tonumber(meta[2]) or 0)
if off > (tonumber(meta[3]) or 0) then redis.call('HSET', KEYS[1], 'acked', off) end
return off
"""


class RedisStreamStore:
    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        self.client = redis.Redis.from_url(
            url,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.02), 3),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
            health_check_interval=30,
            socket_timeout=5,
            socket_connect_timeout=2,
        )
        self._append_sha: str | None = None
        self._resume = self.client.register_script(_RESUME)
        self._ack = self.client.register_script(_ACK)

    def _keys(self, user_id: int) -> list[str]:
        base = f"{_prefix()}:ustream:{int(user_id)}"
        return [f"{base}:m", base]

    def append_many(self, user_ids: list[int], envelope: dict[str, Any]) -> list[Position]:
        return self.append_batch([(user_ids, envelope)])[0]

    def append_batch(
        self,
        events: list[tuple[list[int], dict[str, Any]]],
        channels: Callable[[int], str] | None = None,
    ) -> list[list[Position]]:
        """Append each event to each of its recipients' streams, in the order given: one
        script call for the whole batch (a socket action's events together, see
        realtime.events.publish_batched), larger batches in calls of at most
        _APPEND_BATCH_MAX appends pipelined in one round trip. Returns each event's
        positions. With `channels` (user id -> channel-layer group channel) the script
        also publishes every event live to its recipients (see _APPEND_BATCH).

        No SCRIPT EXISTS check first: a Redis that lost the script, e.g. after a restart,
        answers NOSCRIPT and the script is loaded again; every call is that script, so
        nothing ran then and retrying cannot append twice."""
        import redis

        calls = self._batch_calls(events, channels)
        replies: list[Any] = []
        for attempt in range(2):
            if self._append_sha is None or attempt:
                self._append_sha = str(self.client.script_load(_APPEND_BATCH))
            sha = self._append_sha
            try:
                if len(calls) == 1:
                    keys, args = calls[0]
                    replies = [self.client.evalsha(sha, len(keys), *keys, *args)]
                else:
                    pipe = self.client.pipeline(transaction=False)
                    for keys, args in calls:
                        pipe.evalsha(sha, len(keys), *keys, *args)
                    replies = pipe.execute()
            except redis.exceptions.NoScriptError:
                if attempt:
                    raise
                continue
            break
        flat = [item for reply in replies for item in reply]
        positions = iter(Position(_str(flat[i + 1]), int(flat[i])) for i in range(0, len(flat), 2))
        return [[next(positions) for _ in user_ids] for user_ids, _envelope in events]

    def _batch_calls(
        self,
        events: list[tuple[list[int], dict[str, Any]]],
        channels: Callable[[int], str] | None = None,
    ) -> list[tuple[list[str], list[Any]]]:
        """The script calls (keys, args) for `events`, each of at most _APPEND_BATCH_MAX
        appends (an event is never split)."""
        common = [str(maxlen()), str(max_age_ms()), str(meta_ttl_ms()), _new_epoch()]
        calls: list[tuple[list[str], list[Any]]] = []
        keys: list[str] = []
        places: dict[int, int] = {}
        body: list[Any] = []
        count = appends = 0

        def close() -> None:
            if channels is not None and places:
                head = [*common, count, *(channels(user_id) for user_id in places)]
            else:
                head = [*common, count, ""]
            calls.append((keys, head + body))

        for user_ids, envelope in events:
            if appends and appends + len(user_ids) > _APPEND_BATCH_MAX:
                close()
                keys, places, body, count, appends = [], {}, [], 0, 0
            body.append(encode(envelope))  # once per event, whatever its number of recipients
            body.append(envelope.get("id", ""))
            body.append(envelope.get("type", ""))
            body.append(repr(_timestamp(envelope)))
            body.append(len(user_ids))
            for user_id in user_ids:
                place = places.get(user_id)
                if place is None:
                    place = places[user_id] = len(places) + 1
                    keys.extend(self._keys(user_id))
                body.append(place)
            count += 1
            appends += len(user_ids)
        if count:
            close()
        return calls

    def resume(self, user_id: int, epoch: str | None, offset: int | None) -> Resume:
        reply = self._resume(
            keys=self._keys(user_id),
            args=[
                epoch or "",
                -1 if offset is None else int(offset),
                int(settings.REALTIME_STREAM_MAX_REPLAY),
                meta_ttl_ms(),
                _new_epoch(),
            ],
        )
        current = Position(_str(reply[0]), int(reply[1]))
        status = _str(reply[2])
        if status == "resync":
            return Resume(current, resync=True)
        rest = reply[3:]
        events = [_decode(rest[i + 1], int(rest[i]), current.epoch) for i in range(0, len(rest), 2)]
        return Resume(current, events)

    def ack(self, user_id: int, epoch: str, offset: int) -> int:
        return int(self._ack(keys=self._keys(user_id)[:1], args=[epoch, int(offset)]))

    def acked(self, user_id: int) -> Position | None:
        reply: Any = self.client.hmget(self._keys(user_id)[0], ["epoch", "acked"])
        epoch, acked = reply
        if epoch is None:
            return None
        return Position(_str(epoch), int(acked or 0))

    def forget(self, user_id: int) -> None:
        """Drop a user's history (tests and benches simulate a lost history with it)."""
        self.client.delete(*self._keys(user_id))


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --------------------------------------------------------------------------- in process


class MemoryStreamStore:
    """Same behaviour in one process (no REDIS_URL: the embedded dev mode)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[int, dict[str, Any]] = {}

    def _state(self, user_id: int) -> dict[str, Any]:
        state = self._streams.get(user_id)
        if state is None:
            state = {"epoch": _new_epoch(), "offset": 0, "acked": 0, "entries": deque()}
            self._streams[user_id] = state
        return state

    def append_many(self, user_ids: list[int], envelope: dict[str, Any]) -> list[Position]:
        return self.append_batch([(user_ids, envelope)])[0]

    def append_batch(
        self,
        events: list[tuple[list[int], dict[str, Any]]],
        channels: Callable[[int], str] | None = None,
    ) -> list[list[Position]]:
        # `channels` is for RedisStreamStore only: in one process nothing is published here.
        out = []
        now = time.monotonic()
        with self._lock:
            for user_ids, envelope in events:
                payload = encode(envelope)
                positions = []
                for user_id in user_ids:
                    state = self._state(user_id)
                    state["offset"] += 1
                    entries = state["entries"]
                    entries.append((state["offset"], now, payload))
                    while len(entries) > maxlen() or (
                        entries and now - entries[0][1] > max_age_ms() / 1000
                    ):
                        entries.popleft()
                    positions.append(Position(state["epoch"], state["offset"]))
                out.append(positions)
        return out

    def resume(self, user_id: int, epoch: str | None, offset: int | None) -> Resume:
        with self._lock:
            state = self._state(user_id)
            current = Position(state["epoch"], state["offset"])
            if not epoch:
                return Resume(current)
            if epoch != current.epoch or offset is None or offset > current.offset:
                return Resume(current, resync=True)
            missing = [e for e in state["entries"] if e[0] > offset]
            max_replay = int(settings.REALTIME_STREAM_MAX_REPLAY)
            if len(missing) != current.offset - offset or len(missing) > max_replay:
                return Resume(current, resync=True)
            return Resume(current, [_decode(p, o, current.epoch) for o, _t, p in missing])

    def ack(self, user_id: int, epoch: str, offset: int) -> int:
        with self._lock:
            state = self._state(user_id)
            if state["epoch"] != epoch:
                return -1
            off = min(int(offset), int(state["offset"]))
            state["acked"] = max(state["acked"], off)
            return off

    def acked(self, user_id: int) -> Position | None:
        with self._lock:
            state = self._streams.get(user_id)
            return Position(state["epoch"], state["acked"]) if state else None

    def forget(self, user_id: int) -> None:
        with self._lock:
            self._streams.pop(user_id, None)


_store: RedisStreamStore | MemoryStreamStore | None = None
_store_lock = threading.Lock()


def get_store() -> RedisStreamStore | MemoryStreamStore:
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                url = getattr(settings, "REDIS_URL", "")
                _store = RedisStreamStore(url) if url else MemoryStreamStore()
    return _store


# --------------------------------------------------------------------------- one socket


class StreamCursor:
    """One socket's place in its user's stream, so it delivers each event once, in order.

    Live events can arrive late, twice or out of order (two processes publishing at once,
    a replay overlapping the live feed, a dropped channel-layer message). The consumer asks
    `classify` before sending each one:

    - "send": the next offset; send it and call `delivered`.
    - "drop": already delivered (or older than this socket's start).
    - "gap": offsets are missing before it; read them from the stream first.
    - "reset": the stream's history changed under this socket (new epoch, or an offset
      reused by another event after Redis lost writes): the client must resync.
    """

    RECENT = 512

    def __init__(self, position: Position) -> None:
        self.epoch = position.epoch
        self.offset = position.offset
        self._recent: dict[int, str] = {}

    @property
    def position(self) -> Position:
        return Position(self.epoch, self.offset)

    def classify(self, envelope: dict[str, Any]) -> str:
        offset = int(envelope["offset"])
        if envelope.get("epoch") != self.epoch:
            return "reset"
        if offset <= self.offset:
            known = self._recent.get(offset)
            return "drop" if known is None or known == envelope.get("id") else "reset"
        return "send" if offset == self.offset + 1 else "gap"

    def delivered(self, envelope: dict[str, Any]) -> None:
        self.offset = int(envelope["offset"])
        self._recent[self.offset] = str(envelope.get("id"))
        if len(self._recent) > self.RECENT:
            self._recent.pop(next(iter(self._recent)))

    def reset(self, position: Position) -> None:
        self.epoch, self.offset = position.epoch, position.offset
        self._recent.clear()
