"""One client's WebSocket: frames written at once, or queued for its writer task.

Rooms deliver to connections without awaiting, so one slow client can never
stall a room. While nothing is queued and the socket takes data, a frame is
written to it at once (`direct_text`, no task switch per member); otherwise
it joins the queue that the connection's writer drains in order. A client
is cut off (1013, "try again later") only when it has really stopped
reading: its queue holds more than `max_queue_bytes`, or the
oldest frame in it has waited more than `max_lag` seconds. A burst (a mass
departure, a hand-over, a busy machine that has not yet let the writers run)
only makes the queue longer for a moment: counting frames, as this once did,
cut off healthy clients, the host included, when thousands left at once.
"""

import asyncio
import collections
import itertools
import logging
import time
from collections.abc import Callable

from aiohttp import WSCloseCode, WSMsgType, web

from app.server.http.aiohttp_hooks import direct_text
from app.server.http.timing import RequestTimes

log = logging.getLogger(__name__)

_ids = itertools.count(1)

# Far above any burst a room sends (2,000 events of a few hundred bytes are
# well under 1 MiB), low enough that a stuck client cannot hoard memory.
MAX_QUEUE_BYTES = 8 * 1024 * 1024
# A client that has not taken a frame for this long is not reading.
MAX_LAG = 30.0


class Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        max_queue_bytes: int = MAX_QUEUE_BYTES,
        max_lag: float = MAX_LAG,
        clock: Callable[[], float] = time.monotonic,
        remote: str = "",
        times: RequestTimes | None = None,
    ) -> None:
        self.conn_id = next(_ids)
        self.ws = ws
        # The peer's address, for limits per source (sign-in attempts).
        self.remote = remote
        self.user_id = 0
        self.username = ""
        self.token: str | None = None
        self.greeted = False
        self.room_id: str | None = None
        # Replies are timed from their frame's handling to their writing.
        self.times = times
        # What the request being handled is, for its reply's timing: `lane:type`.
        self.request_key = ""
        # (frame, when queued, (request key, when read) for a timed reply);
        # None ends the writer.
        self._queue: collections.deque[tuple[bytes | None, float, tuple[str, float] | None]] = (
            collections.deque()
        )
        self._queued_bytes = 0
        self._ready = asyncio.Event()
        self._max_bytes = max_queue_bytes
        self._max_lag = max_lag
        self._clock = clock
        self._overflowed = False
        self._closing = False
        # Writes a frame at once when it can; None for a socket that cannot.
        self._direct: Callable[[bytes], bool] | None = None
        # The writer task holds a frame it has not written yet.
        self._holding = False

    def write_directly(self) -> None:
        """Write frames at once when possible (a prepared aiohttp socket)."""
        self._direct = direct_text(self.ws)

    @property
    def signed_in(self) -> bool:
        return self.user_id != 0

    @property
    def queued_bytes(self) -> int:
        return self._queued_bytes

    @property
    def fell_behind(self) -> bool:
        return self._overflowed

    @property
    def queued_frames(self) -> list[bytes]:
        """The frames waiting for the writer, oldest first."""
        return [frame for frame, *_ in self._queue if frame is not None]

    @property
    def writes_directly(self) -> bool:
        """Whether frames may skip the queue (written straight to the socket)."""
        return self._direct is not None

    def deliver(self, frame: bytes) -> None:
        self._put(frame, None)

    def reply(self, frame: bytes, read_at: float) -> None:
        """The answer to the request whose frame was taken at `read_at`
        (time.monotonic): timed when it is written."""
        self._put(frame, (self.request_key, read_at) if self.times is not None else None)

    def _put(self, frame: bytes, timed: tuple[str, float] | None) -> None:
        if self._overflowed or self._closing:
            return
        now = self._clock()
        stuck = bool(self._queue) and now - self._queue[0][1] > self._max_lag
        if stuck or self._queued_bytes + len(frame) > self._max_bytes:
            self._overflowed = True
            log.warning(
                "connection %d fell behind (%d bytes queued); closing it",
                self.conn_id,
                self._queued_bytes,
            )
            # What is queued would only be stale by the time it arrived: the
            # client resyncs from a snapshot when it comes back.
            self._queue.clear()
            self._queued_bytes = 0
            self._end()
            return
        if not self._queue and not self._holding and self._direct is not None:
            try:
                if self._direct(frame):
                    if timed is not None:
                        self._written(timed)
                    return
            except ConnectionError:
                return  # the client went away; its reader sees it too
        self._queue.append((frame, now, timed))
        self._queued_bytes += len(frame)
        self._ready.set()

    def _written(self, timed: tuple[str, float]) -> None:
        if self.times is not None:
            key, read_at = timed
            self.times.record(key, time.monotonic() - read_at)

    def close_soon(self) -> None:
        if not self._closing:
            self._end()

    def _end(self) -> None:
        self._closing = True
        self._queue.append((None, self._clock(), None))
        self._ready.set()

    async def run_writer(self) -> None:
        while True:
            if not self._queue:
                self._ready.clear()
                await self._ready.wait()
                continue
            frame, _queued_at, timed = self._queue.popleft()
            if frame is None:
                break
            self._queued_bytes -= len(frame)
            if self.ws.closed:
                return
            # Until it is written, a frame delivered meanwhile queues behind it.
            self._holding = True
            try:
                await self.ws.send_frame(frame, WSMsgType.TEXT)
            except ConnectionError:
                return  # the client went away mid-frame; the reader sees it too
            finally:
                self._holding = False
            if timed is not None:
                self._written(timed)
        code = WSCloseCode.TRY_AGAIN_LATER if self._overflowed else WSCloseCode.GOING_AWAY
        await self.ws.close(code=code)
