"""One client's WebSocket: an outbound queue drained by its own writer task.

Rooms deliver to connections without awaiting, so one slow client can never
stall a room; a client that falls too far behind is disconnected and will
reconnect and resync from a snapshot.
"""

import asyncio
import itertools
import logging

from aiohttp import WSCloseCode, WSMsgType, web

log = logging.getLogger(__name__)

_ids = itertools.count(1)


class Connection:
    def __init__(self, ws: web.WebSocketResponse, max_queue: int = 1024, remote: str = "") -> None:
        self.conn_id = next(_ids)
        self.ws = ws
        # The peer's address, for limits per source (sign-in attempts).
        self.remote = remote
        self.user_id = 0
        self.username = ""
        self.token: str | None = None
        self.greeted = False
        self.room_id: str | None = None
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._max_queue = max_queue
        self._overflowed = False

    @property
    def signed_in(self) -> bool:
        return self.user_id != 0

    def deliver(self, frame: bytes) -> None:
        if self._overflowed:
            return
        if self._queue.qsize() >= self._max_queue:
            self._overflowed = True
            log.warning("connection %d fell behind; closing it", self.conn_id)
            self._queue.put_nowait(None)
            return
        self._queue.put_nowait(frame)

    def close_soon(self) -> None:
        self._queue.put_nowait(None)

    async def run_writer(self) -> None:
        while (frame := await self._queue.get()) is not None:
            if self.ws.closed:
                return
            await self.ws.send_frame(frame, WSMsgType.TEXT)
        code = WSCloseCode.TRY_AGAIN_LATER if self._overflowed else WSCloseCode.GOING_AWAY
        await self.ws.close(code=code)
