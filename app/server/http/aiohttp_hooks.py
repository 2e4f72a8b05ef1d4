"""aiohttp's internals that the WebSocket endpoint relies on: masked client
frames, and text frames written at once.

RFC 6455 (5.1) requires every frame from a client to be masked, and the
server to close the connection when one is not; aiohttp's reader accepts
unmasked frames. `StrictWebSocketResponse` puts a small check in front of
aiohttp's own frame parser: it follows only the frame headers (length and
mask bit) and hands every byte on unchanged, and at the first unmasked frame
it fails the connection with close code 1002 (protocol error), the way
aiohttp fails any other protocol violation.

It relies on `WebSocketResponse._post_start` assigning the parser it builds
to `self._parser` (a descriptor on the subclass wraps it) and the data queue
to `self._reader` before passing the parser to the request's protocol;
`check()` tests that at start.

`direct_text` writes a text frame to the transport at once, through aiohttp's
own frame writer (`WebSocketWriter._write_websocket_frame`, which its
`send_frame` calls for every uncompressed frame) but without a task switch:
a room's event to 15,000 members was 15,000 writer-task steps queued ahead of
every other request. Only for uncompressed connections (a compressed stream
has state the writer keeps under its lock) and while the transport's buffer
is small; otherwise the caller queues the frame for its writer as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from aiohttp import WebSocketError, WSCloseCode, WSMsgType, web
from aiohttp._websocket.reader import WebSocketDataQueue, WebSocketReader
from aiohttp._websocket.writer import WebSocketWriter
from aiohttp.base_protocol import BaseProtocol

from app.hookcheck import hook, require

WRITTEN_FOR = "3.14"
_MASK_BIT = 0x80
_LENGTH = 0x7F
# Header bytes after the first two: the extended length (by the 7-bit
# length) and the 4-byte masking key.
_EXTENDED = {126: 2, 127: 8}
# Past this many bytes waiting in the transport, frames queue for the writer
# task, which waits for the transport to drain.
DIRECT_LIMIT = 64 * 1024


class MaskedFramesOnly:
    """Feeds aiohttp's frame parser, refusing the first unmasked frame."""

    def __init__(self, parser: WebSocketReader, queue: WebSocketDataQueue) -> None:
        self._parser = parser
        self._queue = queue
        self._header = bytearray()
        self._payload_left = 0
        self._failed = False

    def feed_eof(self) -> None:
        self._parser.feed_eof()

    def feed_data(self, data: bytes | bytearray | memoryview) -> tuple[bool, bytes]:
        if self._failed:
            return True, b""
        if not self._all_masked(memoryview(data)):
            self._failed = True
            self._queue.set_exception(
                WebSocketError(WSCloseCode.PROTOCOL_ERROR, "client frames must be masked")
            )
            return True, b""
        result: tuple[bool, bytes] = self._parser.feed_data(data)
        return result

    def _all_masked(self, data: memoryview) -> bool:
        pos = 0
        while pos < len(data):
            if self._payload_left:
                step = min(self._payload_left, len(data) - pos)
                self._payload_left -= step
                pos += step
                continue
            self._header.append(data[pos])
            pos += 1
            if len(self._header) < 2:
                continue
            second = self._header[1]
            if not second & _MASK_BIT:
                return False
            extended = _EXTENDED.get(second & _LENGTH, 0)
            if len(self._header) < 2 + extended + 4:
                continue
            length = (
                int.from_bytes(self._header[2 : 2 + extended], "big")
                if extended
                else second & _LENGTH
            )
            self._payload_left = length
            self._header.clear()
        return True


class _MaskCheckedParser:
    """`_parser` on a StrictWebSocketResponse: aiohttp builds its parser in
    _post_start and hands self._parser to the protocol right away, so it is
    wrapped as it is assigned. A descriptor on that one name, not a
    `__setattr__` of the class: that made every attribute aiohttp sets (a few
    per frame received) a Python call, 19 % of the server's samples in a
    5,000-listener join storm."""

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return obj.__dict__.get("_strict_parser")

    def __set__(self, obj: object, value: Any) -> None:
        if (
            value is not None
            and getattr(obj, "_strict", False)
            and not isinstance(value, MaskedFramesOnly)
        ):
            reader = getattr(obj, "_reader", None)
            assert reader is not None
            value = MaskedFramesOnly(value, reader)
        obj.__dict__["_strict_parser"] = value


class StrictWebSocketResponse(web.WebSocketResponse):
    """A WebSocketResponse whose client must mask its frames (RFC 6455)."""

    _parser = _MaskCheckedParser()

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        self._strict = True
        super()._post_start(request, protocol, writer)


def direct_text(ws: web.WebSocketResponse) -> Callable[[bytes], bool] | None:
    """A function that writes a text frame now and says whether it could;
    None when this connection cannot be written to directly at all."""
    writer = getattr(ws, "_writer", None)
    if not isinstance(writer, WebSocketWriter) or writer.compress:
        return None
    transport = writer.transport
    write = writer._write_websocket_frame

    def send(frame: bytes) -> bool:
        if transport.is_closing() or transport.get_write_buffer_size() > DIRECT_LIMIT:
            return False
        write(frame, WSMsgType.TEXT, 0)
        return True

    return send


def reading_held_by(protocol: asyncio.BaseProtocol) -> bool:
    """aiohttp's flow control has stopped this protocol's transport from reading
    (its own queue is full): the read gate must not resume it."""
    if not isinstance(protocol, BaseProtocol):
        return False
    return bool(protocol._reading_paused or protocol._buffer_paused)


def check() -> str:
    return require(
        "aiohttp",
        version("aiohttp"),
        WRITTEN_FOR,
        [
            hook(web.WebSocketResponse, "_post_start"),
            hook(web.WebSocketResponse, "_parser"),
            hook(web.WebSocketResponse, "_reader"),
            hook(WebSocketDataQueue, "set_exception"),
            hook(WebSocketReader, "feed_data"),
            hook(WebSocketReader, "feed_eof"),
            hook(web.WebSocketResponse, "_writer"),
            hook(WebSocketWriter, "_write_websocket_frame"),
            hook(BaseProtocol, "_reading_paused"),
            hook(BaseProtocol, "_buffer_paused"),
        ],
    )
