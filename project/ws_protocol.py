"""uvicorn's sans-I/O WebSocket protocol, writing the frames of one loop turn together.

uvicorn writes every frame to the socket at once: one `transport.write`, so one send()
system call, per frame. That was 11-13 % of a socket process's CPU at chat saturation
(py-spy; a loopback send runs the receiver's side of TCP too). Frames sent to one socket
in the same turn of the event loop (a recipient's `chat.message` and `chat.unread`, a
replay) now leave in one write at the end of that turn. Order is kept: every other write
of the protocol (handshake, pong, close) first drains the frames waiting in the same
buffer, and closing the transport writes them first.
"""

from __future__ import annotations

import asyncio
from asyncio.transports import BaseTransport
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState


class _FlushingTransport:
    """The connection's transport, flushing the protocol's waiting frames before closing."""

    def __init__(self, transport: asyncio.Transport, protocol: CoalescingSansIOProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self.write = transport.write
        self.is_closing = transport.is_closing

    def close(self) -> None:
        self._protocol.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingSansIOProtocol(WebSocketsSansIOProtocol):
    _flush_scheduled = False

    def connection_made(self, transport: BaseTransport) -> None:
        super().connection_made(transport)
        self.transport = _FlushingTransport(self.transport, self)  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        if (
            message["type"] != "websocket.send"
            or not self.handshake_complete
            or self.close_sent
            or self.initial_response is not None
        ):
            await super().send(message)
            return
        await self.writable.wait()
        if self.disconnected:
            raise ClientDisconnected()
        try:
            if message.get("bytes") is not None:
                self.conn.send_binary(message["bytes"])
            elif message.get("text") is not None:
                self.conn.send_text(message["text"].encode())
        except InvalidState:
            raise ClientDisconnected() from None
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write whatever frames wait in the connection's buffer (none if another write
        took them already)."""
        self._flush_scheduled = False
        output = self.conn.data_to_send()
        if output and not self.transport.is_closing():
            self.transport.write(b"".join(output))
