"""Precedence for the stage: the audience's requests take turns, the stage's never wait.

One event loop serves every connection. In a storm the audience sends
thousands of requests a second; handled as they come, a host's request
queues behind all of them (10 s p99 at 15,000 listeners). The lane lets a
loop iteration spend at most `slice` seconds on audience requests that
arrive while nobody waits, and parks the rest in arrival order; once per
iteration it lets the next few through, more while iterations stay short,
fewer when they grow long. The stage's requests never enter the lane, so
they wait at most about one iteration, however long the audience's queue.

Parking costs an awaited future; a request from a closed connection whose
task was cancelled is skipped.
"""

import asyncio
import collections

# Audience work a loop iteration may start with nobody waiting.
SLICE = 0.005
# How long a loop iteration should take at most while the lane drains.
TARGET = 0.02
MIN_BATCH, MAX_BATCH = 8, 256


class AudienceLane:
    def __init__(self, slice_seconds: float = SLICE, target: float = TARGET) -> None:
        self._slice = slice_seconds
        self._target = target
        self._batch = MIN_BATCH
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._started: float | None = None  # when this iteration's slice began
        self._pumped: float | None = None  # when the lane last let some through

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def turn(self) -> None:
        """Return when this audience request may be handled."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            now = loop.time()
            if self._started is None:
                self._started = now
                loop.call_soon(self._end_slice)
            if now - self._started < self._slice:
                return
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append(future)
        if self._pumped is None:
            self._pumped = loop.time()
            loop.call_soon(self._pump)
        await future

    def _end_slice(self) -> None:
        self._started = None

    def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        # The time since the last pump is one loop iteration: what it cost
        # decides how many go through in the next.
        if self._pumped is not None and now - self._pumped > self._target:
            self._batch = max(MIN_BATCH, self._batch // 2)
        else:
            self._batch = min(MAX_BATCH, self._batch + MIN_BATCH)
        released = 0
        while self._waiting and released < self._batch:
            future = self._waiting.popleft()
            if not future.done():  # its connection's task was cancelled
                future.set_result(None)
                released += 1
        if self._waiting:
            self._pumped = now
            loop.call_soon(self._pump)
        else:
            self._pumped = None
