"""One authenticated WebSocket per browser tab; each joins its user's group."""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder

from project.api_errors import ServiceError
from realtime.events import make_envelope
from realtime.groups import user_group
from realtime.handlers import get_handler
from realtime.presence import mark_connected, mark_disconnected

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401


class UserConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept then close so the client sees a distinct 4401 code, not a bare 403.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.group = user_group(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await database_sync_to_async(mark_connected)(user.id)
        await self.send_json(make_envelope("session.ready", {"user_id": user.id}))

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await database_sync_to_async(mark_disconnected)(self.user.id)

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
        try:
            reply = await handler(self, data)
        except ServiceError as exc:
            await self._error(request_id, exc.code, exc.message, field=exc.field, extra=exc.extra)
            return
        except Exception:
            logger.exception("websocket handler %s failed", message_type)
            await self._error(request_id, "server_error", "Something went wrong.")
            return
        if reply is not None:
            await self.send_json(
                make_envelope(f"{message_type}.ok", {"request_id": request_id, **reply})
            )

    async def _error(
        self,
        request_id: Any,
        code: str,
        message: str,
        field: str | None = None,
        extra: dict | None = None,
    ) -> None:
        data = {"request_id": request_id, "code": code, "message": message, "field": field}
        data.update(extra or {})
        await self.send_json(make_envelope("error", data))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to its DB thread before every handler to close stale connections.
        # Pushing an already-built event never touches the database, and that hop was
        # 4-10 % of daphne's CPU per delivered event (py-spy, bench_ws_delivery).
        if message.get("type") == "realtime.event":
            await self.realtime_event(message)
            return
        await super().dispatch(message)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        # Payloads carry datetimes and Decimals (prices); the default encoder rejects them.
        return json.dumps(content, cls=DjangoJSONEncoder)
