"""The listening socket: aiohttp's protocol factory behind a connection cap.

Descriptors are finite (1,024 by default on Linux, 20,000 at most on the
machines we test on). Past the cap a new connection is answered at once with
a short `503` and closed, instead of being accepted until accept() itself
fails ("out of system resource") and the server stops answering anyone.
Connections that never finish their request are closed by aiohttp's
keep-alive timer (`keepalive_timeout`, which runs from the moment a
connection is accepted and again after each response), so half-sent
requests cannot hold descriptors for long either.
"""

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import cast

from aiohttp import web

from app.server.http.aiohttp_hooks import reading_held_by
from app.server.http.readgate import ReadGate
from app.server.logs import RateLimitedLog

log = logging.getLogger(__name__)

_REFUSAL_BODY = b"the server is at its connection limit; try again later\n"
_REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 5\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_REFUSAL_BODY)).encode() + b"\r\n\r\n" + _REFUSAL_BODY
)
# A refused connection lingers this long for the client to read the answer
# (closing with its request unread would reset the connection, losing it).
_LINGER = 1.0


def raise_open_file_limit() -> int:
    """Raise this process's soft descriptor limit to the hard one, where the
    OS lets us; return the soft limit now in force (0 where there is none)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open file limit from %d to %d: %s", soft, hard, exc)
    return 0 if soft == resource.RLIM_INFINITY else int(soft)


def default_connection_cap(open_files: int) -> int:
    """Keep a reserve below the descriptor limit for the database, recordings,
    logs, the media plane's sockets and lingering refusals."""
    if open_files <= 0:
        return 10_000
    return max(16, open_files - min(512, max(64, open_files // 4)))


def lingering_budget(open_files: int, cap: int) -> int:
    """Refusals that may linger at once: a quarter of the reserve below the limit."""
    if open_files <= 0:
        return 256
    return max(0, (open_files - cap) // 4)


def accept_backlog(open_files: int, cap: int) -> int:
    """asyncio accepts up to `backlog` sockets in one go before any of them is
    refused and closed, so that burst must fit in the reserve too."""
    if open_files <= 0:
        return 128
    return max(8, min(128, (open_files - cap) // 4))


class _Refusal(asyncio.Protocol):
    def __init__(self, listener: "Listener") -> None:
        self._listener = listener
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._listener.lingering += 1
        transport.write(_REFUSAL)
        if self._listener.lingering > self._listener.max_lingering or not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        asyncio.get_running_loop().call_later(_LINGER, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # read and dropped, so that closing does not reset the connection

    def eof_received(self) -> bool:
        return False  # close

    def connection_lost(self, exc: Exception | None) -> None:
        self._listener.lingering -= 1


class _Counted(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted from accept to close,
    its reads passed on through the listener's read gate (app/server/http/readgate.py)
    unless `first` says the connection goes first (a stage member's).

    Counted here, not from aiohttp's own list: asyncio accepts a burst of
    sockets and asks the factory for all their protocols before any of them
    is connected, so that list lags behind by up to a whole burst.
    """

    __slots__ = ("_held", "_inner", "_listener", "_paused", "_transport", "first")

    def __init__(self, inner: asyncio.Protocol, listener: "Listener") -> None:
        self._inner = inner
        self._listener = listener
        self._transport: asyncio.Transport | None = None
        # Bytes read but not yet passed on (the gate's turn had run out).
        self._held: list[bytes] | None = None
        # This wrapper, not aiohttp, stopped the transport's reading.
        self._paused = False
        # Set once the connection is a WebSocket: whether its reads skip the gate.
        self.first: Callable[[], bool] | None = None
        listener.open_connections += 1

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self._transport = cast(asyncio.Transport, transport)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._held is not None:  # behind bytes already held: keep the order
            self._held.append(data)
            return
        gate = self._listener.gate
        if gate is None or (self.first is not None and self.first()) or gate.admit():
            self._inner.data_received(data)
            return
        self._held = [data]
        transport = self._transport
        if transport is not None and transport.is_reading():
            transport.pause_reading()
            self._paused = True
        gate.hold(self)

    def release(self) -> None:
        """The gate's turn for this connection: its held bytes go on, and it reads again."""
        self._pass_held()
        transport = self._transport
        if self._paused and transport is not None:
            self._paused = False
            # Unless aiohttp's own flow control stopped it meanwhile.
            if not transport.is_closing() and not reading_held_by(self._inner):
                transport.resume_reading()

    def _pass_held(self) -> None:
        held, self._held = self._held, None
        for data in held or ():
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        self._pass_held()  # what came before the end is handled before it
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._listener.open_connections -= 1
        self._pass_held()
        self._paused = False
        self._inner.connection_lost(exc)


class Listener:
    """Accepts TCP connections for an aiohttp server, at most `max_connections` at once."""

    def __init__(
        self,
        server: web.Server,
        max_connections: int,
        max_lingering: int = 256,
        gate: ReadGate | None = None,
    ) -> None:
        self._server = server
        # Bounds the audience's reads per loop iteration; None reads everything as it comes.
        self.gate = gate
        self.max_connections = max_connections
        self.max_lingering = max_lingering
        self.open_connections = 0
        self.lingering = 0
        self.refused = 0
        self._asyncio_server: asyncio.Server | None = None
        self._log = RateLimitedLog(log, interval=10.0)

    def __call__(self) -> asyncio.BaseProtocol:
        if self.open_connections >= self.max_connections:
            self.refused += 1
            self._log.warning(
                "refused",
                "refusing connections: %d are open, the limit is %d",
                self.open_connections,
                self.max_connections,
            )
            return _Refusal(self)
        return _Counted(self._server(), self)

    async def start(self, host: str, port: int, backlog: int = 1024) -> int:
        """Listen; return the port (the one picked when `port` is 0)."""
        loop = asyncio.get_running_loop()
        self._asyncio_server = await loop.create_server(
            self, host, port, backlog=backlog, reuse_address=True
        )
        for sock in self._asyncio_server.sockets:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                return int(sock.getsockname()[1])
        return port

    def stop_listening(self) -> None:
        if self._asyncio_server is not None:
            self._asyncio_server.close()


def read_first_when(transport: asyncio.BaseTransport | None, first: Callable[[], bool]) -> None:
    """The connection on `transport` skips the read gate while `first()` holds."""
    protocol = transport.get_protocol() if transport is not None else None
    if isinstance(protocol, _Counted):
        protocol.first = first
