"""One authenticated WebSocket per browser tab; each joins its user's group."""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from project import json_limits
from project.api_errors import ServiceError
from project.metrics import (
    CLIENTS_GONE,
    EVENTS_DELIVERED,
    EVENTS_DROPPED,
    OPEN_SOCKETS,
    SOCKET_RESYNCS,
    WS_ACTION_LATENCY,
    WS_ACTIONS_IN_FLIGHT,
    WS_FRAMES_LIMITED,
    WS_SOCKETS_REFUSED,
    labelled,
)
from realtime import encoding, stream
from realtime.catalogue import SESSION_READY, STREAM_RESET
from realtime.events import make_envelope, publish_batched
from realtime.executor import ensure_executor
from realtime.frame_budget import FrameBudget
from realtime.groups import user_group
from realtime.handlers import disconnect_hooks, get_handler
from realtime.presence import socket_presence

if TYPE_CHECKING:
    from realtime.auth import Receive, Scope, Send

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
# "You fell behind; reconnect and resume": the client's reconnect path resumes chat from its
# cursors and refetches open pages, so nothing acknowledged is lost (README "Realtime").
CLOSE_BEHIND = 4408
# Too many sockets of this user in this process; the client's backoff retries later.
CLOSE_TOO_MANY_SOCKETS = 4429


def _lag_seconds(envelope: dict[str, Any]) -> float:
    try:
        return (timezone.now() - datetime.fromisoformat(envelope["ts"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return 0.0


def _cursor_start(resume: stream.Resume) -> int:
    """Where a socket's cursor starts: before the replayed events, else at the newest."""
    if resume.events:
        return int(resume.events[0]["offset"]) - 1
    return resume.position.offset


class UserConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    behind = False  # set once events arrived too late: the rest are dropped and counted
    _counted = False  # counted in consult_ws_open_sockets
    _cursor: stream.StreamCursor | None = None
    _cleaned_up = False
    _present = False  # counted in this process's presence (realtime/presence.py)
    _gone = False  # the client left: later sends are dropped quietly
    _budget: FrameBudget | None = None
    _flood_logged = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # If anything escapes a handler the application ends without Channels ever calling
        # disconnect(); the cleanup (group, presence) must run whatever happened.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._cleanup()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept then close so the client sees a distinct 4401 code, not a bare 403.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if socket_presence().open_sockets(user.id) >= settings.WS_MAX_SOCKETS_PER_USER:
            # Each socket of a user gets every event of that user: a few thousand of them
            # would multiply every push (and hold memory) for one account's sake.
            WS_SOCKETS_REFUSED.inc()
            logger.warning(
                "user %s already holds %s sockets in this process; refusing another",
                user.id,
                settings.WS_MAX_SOCKETS_PER_USER,
            )
            await self.accept()
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)
            return
        ensure_executor()
        self.user = user
        self.group = user_group(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        OPEN_SOCKETS.inc()
        self._counted = True
        self._present = True
        await socket_presence().connected(user.id)
        await self._resume_stream(user.id)

    async def _resume_stream(self, user_id: int) -> None:
        """Replay what the tab missed (`?epoch=…&offset=…`), then greet it.

        The socket joined its group first: live events published from now on wait in the
        channel queue (Channels handles one message at a time) and are deduplicated by
        offset against the replay when they are dispatched, so the seam has no gap and no
        duplicate.
        """
        query = parse_qs(self.scope.get("query_string", b"").decode())
        epoch = (query.get("epoch") or [""])[0][:64] or None
        try:
            offset: int | None = int((query.get("offset") or [""])[0])
        except ValueError:
            offset = None
        replayed = 0
        try:
            resume = await sync_to_async(stream.get_store().resume, thread_sensitive=False)(
                user_id, epoch, offset
            )
        except Exception:
            logger.exception("could not read the event stream of user %s", user_id)
            resume = None
        if resume is None:
            self._cursor = None  # no stream: live events pass through, the tab refetches
            ready: dict[str, Any] = {
                "user_id": user_id,
                "stream": None,
                "replayed": 0,
                "resync": True,
            }
        else:
            self._cursor = stream.StreamCursor(
                stream.Position(resume.position.epoch, _cursor_start(resume))
            )
            for envelope in resume.events:
                self._cursor.delivered(envelope)
                await self.send_json(envelope)
                replayed += 1
            ready = {
                "user_id": user_id,
                "stream": resume.position.as_dict(),
                "replayed": replayed,
                # A new tab (no position) or a gap the history cannot cover: refetch.
                "resync": resume.resync or epoch is None,
            }
        await self.send_json(make_envelope(SESSION_READY, ready))

    async def disconnect(self, code: int) -> None:
        await self._cleanup()

    async def _cleanup(self) -> None:
        """Leave the group and drop presence, once, each step even if another failed."""
        if self._cleaned_up or not self.group:
            return
        self._cleaned_up = True
        if self._counted:
            OPEN_SOCKETS.dec()
        for hook in disconnect_hooks():
            try:
                await hook(self)
            except Exception:
                logger.exception("websocket cleanup: disconnect hook %s failed", hook.__name__)
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        except Exception:
            logger.exception("websocket cleanup: group_discard failed")
        finally:
            if self._present:
                # Never raises: a failed write is logged and healed by the presence TTL.
                await socket_presence().disconnected(self.user.id)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Decode one frame; every bad frame gets an `error` event, never a crashed socket."""
        if text_data is None:
            await self._error(None, "bad_frame", "Send JSON text frames; binary is not accepted.")
            return
        limit = int(settings.WS_MAX_FRAME_BYTES)
        if len(text_data) > limit or len(text_data.encode()) > limit:
            await self._error(None, "frame_too_large", f"Frames are limited to {limit} bytes.")
            return
        try:
            content = json_limits.loads(text_data)
        except json_limits.JSONTooDeep as exc:
            await self._error(None, "too_deep", str(exc))
            return
        except ValueError:
            await self._error(None, "bad_json", "The frame is not valid JSON.")
            return
        if self._budget is None:
            self._budget = FrameBudget(settings.WS_FRAMES_PER_SECOND, settings.WS_FRAME_BURST)
        wait = self._budget.take()
        if wait:
            await self._refuse_flood(content, wait)
            return
        try:
            await self.receive_json(content, **kwargs)
        except Exception:
            logger.exception("websocket frame failed")
            request_id = content.get("request_id") if isinstance(content, dict) else None
            await self._error(request_id, "server_error", "Something went wrong.")

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error(None, "bad_request", "Each message must be an object with a 'type'.")
            return
        message_type = content["type"]
        request_id = content.get("request_id")
        data = content.get("data") or {}
        if message_type == "ping":
            await self.send_json(make_envelope("pong", {"request_id": request_id}))
            return
        handler = get_handler(message_type)
        if handler is None or not isinstance(data, dict):
            await self._error(request_id, "unknown_type", f"Unknown message type '{message_type}'.")
            return
        started = time.perf_counter()
        WS_ACTIONS_IN_FLIGHT.inc()
        try:
            # Events the action publishes go out before the reply (so a sender sees its
            # message, then the ack): stored ones with their stream appends when the
            # action's thread work ends, the rest from here, one message per recipient.
            async with publish_batched():
                reply = await handler(self, data)
        except ServiceError as exc:
            await self._error(request_id, exc.code, exc.message, field=exc.field, extra=exc.extra)
            return
        except Exception:
            logger.exception("websocket handler %s failed", message_type)
            await self._error(request_id, "server_error", "Something went wrong.")
            return
        finally:
            WS_ACTIONS_IN_FLIGHT.dec()
            labelled(WS_ACTION_LATENCY, message_type).observe(time.perf_counter() - started)
        if reply is not None:
            await self.send_json(
                make_envelope(f"{message_type}.ok", {"request_id": request_id, **reply})
            )

    async def _refuse_flood(self, content: Any, wait: float) -> None:
        WS_FRAMES_LIMITED.inc()
        if not self._flood_logged:
            self._flood_logged = True  # once per socket: a flood must not flood the log too
            logger.warning(
                "socket of user %s sends faster than %s frames/s; refusing the excess",
                getattr(self, "user", None) and self.user.id,
                settings.WS_FRAMES_PER_SECOND,
            )
        request_id = content.get("request_id") if isinstance(content, dict) else None
        await self._error(
            request_id,
            "rate_limited",
            f"Too many frames: at most {settings.WS_FRAMES_PER_SECOND:g} per second on one "
            "socket. Wait a moment and send again.",
            extra={"retry_after": max(1, math.ceil(wait))},
        )

    async def _error(
        self,
        request_id: Any,
        code: str,
        message: str,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        data = {"request_id": request_id, "code": code, "message": message, "field": field}
        data.update(extra or {})
        await self.send_json(make_envelope("error", data))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to its DB thread before every handler to close stale connections.
        # Pushing an already-built event never touches the database, and socket actions
        # run on their own threads that release their connection after each action
        # (realtime/executor.py); that hop was 4-10 % of daphne's CPU per delivered event
        # (py-spy, bench_ws_delivery) and queued every frame behind the one DB thread.
        message_type = message.get("type")
        if message_type == "realtime.event":
            await self.realtime_event(message)
        elif message_type == "realtime.events":
            await self.realtime_events(message)
        elif message_type == "realtime.frames":
            await self.realtime_frames(message)
        elif message_type == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        await self._push(message["event"])

    async def realtime_events(self, message: dict[str, Any]) -> None:
        for envelope in message["events"]:
            await self._push(envelope)

    async def realtime_frames(self, message: dict[str, Any]) -> None:
        """Stream events the stream script published (realtime/stream.py): each comes as
        its socket frame, already encoded, with what the checks below need beside it."""
        for text, offset, epoch, event_id, event_type, ts in message["frames"]:
            head = {"type": event_type, "id": event_id, "offset": offset, "epoch": epoch}
            await self._push(head, text, time.time() - ts)

    async def _push(
        self, envelope: dict[str, Any], text: str | None = None, lag: float | None = None
    ) -> None:
        """Deliver `envelope` (or, when `text` is given, that frame, of which `envelope`
        carries the type, id, offset and epoch)."""
        if self.behind:
            labelled(EVENTS_DROPPED, "lag").inc()
            return
        if lag is None:
            lag = _lag_seconds(envelope)
        if lag > settings.REALTIME_MAX_LAG_SECONDS:
            # This process could not keep up: a backlog this old is better replaced by a
            # resume than delivered late (and the layer may already have lost some of it).
            self.behind = True
            labelled(EVENTS_DROPPED, "lag").inc()
            SOCKET_RESYNCS.inc()
            logger.warning(
                "socket of user %s is %.1f s behind (event %s); closing with %s to resume",
                getattr(self, "user", None) and self.user.id,
                lag,
                envelope.get("type"),
                CLOSE_BEHIND,
            )
            await self.close(code=CLOSE_BEHIND)
            return
        await self._deliver_in_order(envelope, text)

    async def _send_event(self, envelope: dict[str, Any], text: str | None = None) -> None:
        if text is None:
            await self.send_json(envelope)
        else:
            await self.send(text_data=text)
        labelled(EVENTS_DELIVERED, envelope.get("type", "")).inc()

    async def _deliver_in_order(self, envelope: dict[str, Any], text: str | None = None) -> None:
        """Send stream events strictly by offset, once each (see stream.StreamCursor)."""
        cursor = self._cursor
        if cursor is None or "offset" not in envelope:
            await self._send_event(envelope, text)  # ephemeral (typing) or no stream
            return
        verdict = cursor.classify(envelope)
        if verdict == "gap":
            await self._fill_gap(cursor)
            verdict = cursor.classify(envelope)
        if verdict == "reset":
            await self._stream_reset(
                cursor, stream.Position(envelope["epoch"], int(envelope["offset"]) - 1)
            )
            verdict = cursor.classify(envelope)
        if verdict != "send":
            return  # a duplicate, or delivered by the gap fill
        cursor.delivered(envelope)
        await self._send_event(envelope, text)

    async def _fill_gap(self, cursor: stream.StreamCursor) -> None:
        """Offsets are missing (late or dropped live messages): read them from the stream."""
        try:
            resume = await sync_to_async(stream.get_store().resume, thread_sensitive=False)(
                self.user.id, cursor.epoch, cursor.offset
            )
        except Exception:
            logger.exception("could not fill a gap in the stream of user %s", self.user.id)
            return
        if resume.resync:
            await self._stream_reset(cursor, resume.position)
            return
        for envelope in resume.events:
            if cursor.classify(envelope) == "send":
                cursor.delivered(envelope)
                await self._send_event(envelope)

    async def _stream_reset(self, cursor: stream.StreamCursor, position: stream.Position) -> None:
        """The history changed under this socket: the tab refetches, then follows `position`."""
        cursor.reset(position)
        await self.send_json(make_envelope(STREAM_RESET, {"stream": position.as_dict()}))

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if self._gone:
            return
        try:
            if text_data is not None and not close:
                # Every frame: straight to the server, past Channels' two layers of
                # wrappers that end in this same call.
                await self.base_send({"type": "websocket.send", "text": text_data})
            else:
                await super().send(text_data, bytes_data, close)
        except OSError as exc:  # uvicorn's ClientDisconnected, a reset, a broken pipe
            self._client_gone(exc)

    async def send_json(self, content: Any, close: bool = False) -> None:
        # Channels' send_json calls its base class's send, past the override above.
        await self.send(text_data=await self.encode_json(content), close=close)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if self._gone:
            return
        try:
            await super().close(code, reason)
        except OSError as exc:
            self._client_gone(exc)

    def _client_gone(self, exc: OSError) -> None:
        """The client left while a reply or event was on its way: an everyday event under
        load (a closed tab, a lost network), not a server error. Counted and logged once per
        socket, without a traceback; the socket's disconnect cleans up as usual, and the
        client resumes what it missed when it reconnects."""
        self._gone = True
        CLIENTS_GONE.inc()
        logger.info(
            "client of user %s left before a frame could be sent (%s)",
            getattr(self, "user", None) and self.user.id,
            type(exc).__name__,
        )

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        # Payloads carry datetimes and Decimals (prices), encoded as Django's encoder does.
        return encoding.dumps(content)
