"""A WebSocket connection to the room server: numbered requests, one reply each.

A reader task matches `ok`/`error` replies to their requests by id and queues
everything the server pushes (room events, kicks) for the caller.
"""

import asyncio
import itertools
import logging
from typing import TypeVar

import aiohttp
import msgspec

from app.protocol import decode_server, encode_request
from app.protocol.replies import (
    Allowed,
    AnyReplyData,
    Audience,
    Error,
    Event,
    Kicked,
    MediaStalled,
    OfferAgain,
    Ok,
    Reactions,
    ScheduleNotice,
    Speaking,
    StorageStatus,
)
from app.protocol.requests import Request

log = logging.getLogger(__name__)
R = TypeVar("R", bound=AnyReplyData)
Pushed = (
    Event
    | Kicked
    | Speaking
    | StorageStatus
    | Audience
    | Reactions
    | Allowed
    | ScheduleNotice
    | MediaStalled
    | OfferAgain
)


class RequestFailed(Exception):
    """The server refused a request; `code` is a stable ErrorCode value."""

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        # With `busy`: when the server asks to be asked again.
        self.retry_after = retry_after


class ConnectionLost(Exception):
    """The connection closed before the reply came."""


class ServerConnection:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        ws: aiohttp.ClientWebSocketResponse,
        owns_http: bool = True,
    ) -> None:
        self._http = http
        self._owns_http = owns_http
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[AnyReplyData | None]] = {}
        # None marks the end of the stream.
        self.pushed: asyncio.Queue[Pushed | None] = asyncio.Queue()
        # Everything the server sent, for load tools and benchmarks.
        self.frames_received = 0
        self.bytes_received = 0
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(
        cls, url: str, timeout: float = 10.0, http: aiohttp.ClientSession | None = None
    ) -> "ServerConnection":
        """Connect; many connections may share one `http` session (load tools do)."""
        session = http or aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=timeout))
        except BaseException:
            if http is None:
                await session.close()
            raise
        return cls(session, ws, owns_http=http is None)

    @property
    def closed(self) -> bool:
        return self._ws.closed

    async def call(self, request: Request, timeout: float = 30.0) -> AnyReplyData | None:
        if self._ws.closed:
            raise ConnectionLost("the connection is closed")
        rid = next(self._ids)
        future: asyncio.Future[AnyReplyData | None] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            await self._ws.send_str(encode_request(rid, request).decode())
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(rid, None)

    async def call_for(self, request: Request, reply: type[R], timeout: float = 30.0) -> R:
        """`call`, checking that the reply carries data of the expected kind."""
        data = await self.call(request, timeout)
        if not isinstance(data, reply):
            raise RequestFailed("invalid", f"expected {reply.__name__}, got {type(data).__name__}")
        return data

    async def close(self) -> None:
        await self._ws.close()
        await self._reader
        if self._owns_http:
            await self._http.close()

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                if frame.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    continue
                self.frames_received += 1
                self.bytes_received += len(frame.data)
                try:
                    message = decode_server(frame.data)
                except msgspec.MsgspecError as exc:
                    # A newer server's message kind: skip it. A skipped room
                    # event shows up as a seq gap, and the room resyncs.
                    log.warning("ignoring a message this client cannot read: %s", exc)
                    continue
                if isinstance(message, Ok):
                    self._resolve(message.id, message.data, None)
                elif isinstance(message, Error):
                    failure = RequestFailed(message.code, message.message, message.retry_after)
                    if message.id is None:
                        # An unreadable request: fail the oldest waiter rather than hang it.
                        oldest = min(self._pending, default=None)
                        if oldest is not None:
                            self._resolve(oldest, None, failure)
                    else:
                        self._resolve(message.id, None, failure)
                else:
                    self.pushed.put_nowait(message)
        finally:
            why = self._why_closed()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionLost(why))
            self.pushed.put_nowait(None)

    def _why_closed(self) -> str:
        """What ended the connection, as far as the socket knows: the close
        code (1013: this client fell behind; 1008: logged out …) or the error."""
        error = self._ws.exception()
        if error is not None:
            return f"the connection closed: {error!r}"
        return f"the connection closed (code {self._ws.close_code})"

    def _resolve(self, rid: int, data: AnyReplyData | None, error: Exception | None) -> None:
        future = self._pending.get(rid)
        if future is None or future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(data)
