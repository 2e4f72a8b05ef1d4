"""HTTP routes: the WebSocket endpoint and a health check."""

import asyncio
import logging

from aiohttp import WSMsgType, web

from app.protocol import ErrorCode, encode
from app.protocol.replies import Error
from app.server.http.connection import Connection
from app.server.http.session import Dispatcher
from app.server.hub import RoomHub

log = logging.getLogger(__name__)


class Routes:
    def __init__(
        self, dispatcher: Dispatcher, hub: RoomHub, max_frame_bytes: int, heartbeat: float
    ) -> None:
        self._dispatcher = dispatcher
        self._hub = hub
        self._max_frame = max_frame_bytes
        self._heartbeat = heartbeat
        self.connections: set[Connection] = set()

    def install(self, app: web.Application) -> None:
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/healthz", self.healthz)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "rooms": self._hub.room_count, "connections": len(self.connections)}
        )

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        # Frames past the hard limit close the socket (1009); below it, the
        # codec's own limit answers `too_large` and keeps the connection.
        ws = web.WebSocketResponse(
            max_msg_size=self._max_frame, heartbeat=self._heartbeat, decode_text=False
        )
        await ws.prepare(request)
        conn = Connection(ws)
        self.connections.add(conn)
        writer = asyncio.get_running_loop().create_task(conn.run_writer())
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    raw = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                    conn.deliver(await self._dispatcher.on_frame(conn, raw))
                elif msg.type == WSMsgType.ERROR:
                    log.info("connection %d: %s", conn.conn_id, ws.exception())
        except Exception:  # a bug must not take the other connections down
            log.exception("connection %d failed", conn.conn_id)
            conn.deliver(encode(Error(id=None, code=ErrorCode.INTERNAL, message="internal error")))
        finally:
            self.connections.discard(conn)
            await self._hub.detach(conn)
            conn.close_soon()
            await writer
        return ws
