"""HTTP routes: the WebSocket endpoint and a health check."""

import asyncio
import logging
import time

from aiohttp import WSCloseCode, WSMsgType, web

from app import loops
from app.protocol import ErrorCode, encode
from app.protocol.replies import Error
from app.server.http import keepalive
from app.server.http.aiohttp_hooks import StrictWebSocketResponse
from app.server.http.connection import Connection
from app.server.http.listener import read_first_when
from app.server.http.session import Dispatcher
from app.server.http.timing import LoopLag, RequestTimes
from app.server.hub import RoomHub
from app.server.logs import RateLimitedLog

log = logging.getLogger(__name__)
# How long a shutdown waits for its clients to answer the close, all at once.
CLOSE_WAIT = 5.0


class Routes:
    def __init__(
        self,
        dispatcher: Dispatcher,
        hub: RoomHub,
        max_frame_bytes: int,
        heartbeat: float,
        times: RequestTimes | None = None,
        lag: LoopLag | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        # The server's own latency figures, reported by /healthz.
        self.times = times or RequestTimes()
        self.lag = lag or LoopLag()
        self._hub = hub
        self._max_frame = max_frame_bytes
        self._heartbeat = heartbeat
        self.connections: set[Connection] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._faults = RateLimitedLog(log)
        dispatcher.on_logout = self._end_sessions

    def install(self, app: web.Application) -> None:
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/healthz", self.healthz)

    async def healthz(self, request: web.Request) -> web.Response:
        # 503 while storage fails: the rooms go on, but changes are not being
        # saved (see docs/protocol.md, "Durability").
        storage = self._hub.storage_report()
        healthy = bool(storage["ok"])
        # Redis away degrades a cluster node but it still serves (200): its
        # rooms keep their members and sound (docs/cluster.md).
        cluster = self._hub.cluster_report()
        return web.json_response(
            {
                "status": "ok" if healthy and cluster["ok"] else "degraded",
                "rooms": self._hub.room_count,
                "connections": len(self.connections),
                "loop": loops.running_name(),
                "storage": storage,
                "cluster": cluster,
                "timings": self.timings(),
            },
            status=200 if healthy else 503,
        )

    def timings(self) -> dict[str, object]:
        """Requests timed inside the server (app/server/http/timing.py) and the
        loop's lag, since start or the last `reset_timings`."""
        return {**self.times.report(), "loop_lag": self.lag.report()}

    def reset_timings(self) -> None:
        self.times.reset()
        self.lag.reset()

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        # Origin and Host were checked by app.server.web.origin's middleware.
        # Frames past the hard limit close the socket (1009); below it, the
        # codec's own limit answers `too_large` and keeps the connection.
        # aiohttp refuses a frame of exactly max_msg_size, hence the + 1: the
        # documented limit is inclusive.
        ws = StrictWebSocketResponse(
            max_msg_size=self._max_frame + 1, heartbeat=self._heartbeat, decode_text=False
        )
        try:
            await ws.prepare(request)
        except ConnectionResetError:  # the client went away mid-handshake
            log.info("a client left during the WebSocket handshake")
            return ws
        if request.transport is not None:
            keepalive.enable(request.transport.get_extra_info("socket"))
        conn = Connection(ws, remote=request.remote or "", times=self.times)
        # A stage member's frames are read ahead of a storm's (readgate.py).
        read_first_when(request.transport, lambda: self._dispatcher.goes_first(conn))
        conn.write_directly()
        self.connections.add(conn)
        writer = asyncio.get_running_loop().create_task(conn.run_writer())
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    read_at = time.monotonic()
                    raw = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                    conn.reply(await self._dispatcher.on_frame(conn, raw), read_at)
                elif msg.type == WSMsgType.ERROR:
                    log.info("connection %d: %s", conn.conn_id, ws.exception())
        except Exception:  # a bug must not take the other connections down
            self._faults.error("connection", "connection %d failed", conn.conn_id, exc_info=True)
            conn.deliver(encode(Error(id=None, code=ErrorCode.INTERNAL, message="internal error")))
        finally:
            self.connections.discard(conn)
            await self._hub.detach(conn)
            self._dispatcher.closed(conn)
            conn.close_soon()
            await writer
        return ws

    def _end_sessions(self, token: str, keep: Connection) -> None:
        """A logout revoked `token`: every other connection signed in with it ends."""
        for conn in list(self.connections):
            if conn is not keep and conn.token == token:
                # Closed, not just signed out: its member drops as with any
                # lost connection, and its limits go when it is gone.
                task = asyncio.get_running_loop().create_task(self._close(conn))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def close_all(self, message: bytes) -> None:
        """Close every WebSocket at once, waiting at most CLOSE_WAIT for the
        answers: one by one, each waiting for its client (up to aiohttp's 10 s),
        a shutdown took as long as the slowest clients together."""
        closing = [
            asyncio.ensure_future(conn.ws.close(code=WSCloseCode.GOING_AWAY, message=message))
            for conn in list(self.connections)
        ]
        if not closing:
            return
        done, late = await asyncio.wait(closing, timeout=CLOSE_WAIT)
        for task in late:
            task.cancel()  # aiohttp then drops the connection
        await asyncio.gather(*late, return_exceptions=True)
        failed = sum(1 for task in done if not task.cancelled() and task.exception() is not None)
        if late or failed:
            log.warning(
                "closing %d connection(s): %d did not answer within %.0f s, %d failed",
                len(closing),
                len(late),
                CLOSE_WAIT,
                failed,
            )

    @staticmethod
    async def _close(conn: Connection) -> None:
        await conn.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"logged out")
