"""The socket processes' WebSocket protocol: frames of one loop turn leave in one write,
in order, and none is lost when the connection closes."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from project.ws_protocol import CoalescingSansIOProtocol

HANDSHAKE = (
    b"GET /ws/ HTTP/1.1\r\nHost: testserver\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )


def frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each frame the server wrote (server frames are unmasked)."""
    out = []
    while data:
        opcode, length, start = data[0] & 0x0F, data[1] & 0x7F, 2
        if length == 126:
            length, start = int.from_bytes(data[2:4]), 4
        elif length == 127:
            length, start = int.from_bytes(data[2:10]), 10
        out.append((opcode, data[start : start + length]))
        data = data[start + length :]
    return out


def texts(data: bytes) -> list[str]:
    return [payload.decode() for opcode, payload in frames(data) if opcode == 1]


async def serve(app: Any) -> tuple[CoalescingSansIOProtocol, Transport]:
    config = Config(app=app, ws=CoalescingSansIOProtocol, ws_per_message_deflate=False)
    config.load()
    protocol = CoalescingSansIOProtocol(config, ServerState(), {})
    transport = Transport()
    protocol.connection_made(transport)
    protocol.data_received(HANDSHAKE)
    return protocol, transport


async def turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_frames_sent_in_one_turn_leave_in_one_write_in_order() -> None:
    go = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await go.wait()
        for text in ("chat.message", "chat.unread"):
            await send({"type": "websocket.send", "text": text})
        await go.wait()

    protocol, transport = await serve(app)
    await turns()
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 101")
    go.set()
    await turns()
    assert len(transport.writes) == 2
    assert texts(transport.writes[1]) == ["chat.message", "chat.unread"]
    protocol.connection_lost(None)
    await turns()


async def test_waiting_frames_are_written_before_the_connection_closes() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "last words"})
        # Returning without a close: uvicorn closes the transport at once.

    _protocol, transport = await serve(app)
    await turns()
    assert transport.closed
    assert texts(b"".join(transport.writes[1:])) == ["last words"]


async def test_a_close_frame_follows_the_waiting_frames() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "one"})
        await send({"type": "websocket.close", "code": 4408})
        await receive()

    protocol, transport = await serve(app)
    await turns()
    written = frames(b"".join(transport.writes[1:]))
    assert [(opcode, payload[:3]) for opcode, payload in written] == [
        (1, b"one"),
        (8, (4408).to_bytes(2)),  # the close frame, after the text
    ]
    protocol.connection_lost(None)
    await turns()
