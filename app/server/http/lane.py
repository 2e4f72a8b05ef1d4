"""Precedence for the stage: the audience's requests take turns, the stage's never wait.

One event loop serves every connection. In a storm the audience sends
thousands of requests at once; handled as they come, a host's request
queues behind all of them. The lane gives the audience's requests a budget
of `slice` seconds of their own handling time per loop iteration: past it,
the rest park in arrival order, and once per iteration the lane lets
through as many as the budget holds at what an audience request has been
costing. The stage's requests never enter the lane, so they wait about one
iteration at most, however long the audience's queue.

The budget is measured by the audience's own time, never the whole
iteration's (an earlier lane halved its batch whenever an iteration took
long, for whatever reason, and at 15,000 listeners let 8 requests through
per iteration: half the storm timed out). A request is charged what it
took if it finished in the slice it started in; one that waited (a join
sleeping its turn at the gate) is not charged the wait. A request from a
connection that closed while parked is skipped.
"""

import asyncio
import collections
import time

# Audience handling time a loop iteration may spend.
SLICE = 0.005
# What an audience request is taken to cost before any was measured, and
# the bounds of the estimate (no request costs more than a few ms of CPU).
FIRST_ESTIMATE = 100e-6
LOWEST, HIGHEST = 10e-6, 0.005
# Weight of each new measurement in the running estimate.
WEIGHT = 0.1


class AudienceLane:
    def __init__(self, slice_seconds: float = SLICE) -> None:
        self._slice = slice_seconds
        self._estimate = FIRST_ESTIMATE
        self._spent = 0.0
        # Counts slices: a slice ends with the loop iteration it started in.
        self._slices = 0
        self._slice_open = False
        self._pumping = False
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def estimate(self) -> float:
        """What an audience request costs, as measured so far (seconds)."""
        return self._estimate

    async def turn(self) -> int:
        """Return when this audience request may be handled: a mark for `charge`."""
        loop = asyncio.get_running_loop()
        self._open_slice(loop)
        if not self._waiting and self._spent < self._slice:
            return self._slices
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append(future)
        if not self._pumping:
            self._pumping = True
            loop.call_soon(self._pump)
        await future
        self._open_slice(loop)
        return self._slices

    def charge(self, mark: int, started: float) -> None:
        """An audience request that got its turn at `mark` and began at
        `started` (time.perf_counter) is done."""
        if mark != self._slices:
            return  # it waited across iterations: its time is not its own
        took = time.perf_counter() - started
        self._spent += took
        estimate = self._estimate + WEIGHT * (took - self._estimate)
        self._estimate = min(HIGHEST, max(LOWEST, estimate))

    def _open_slice(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._slice_open:
            self._slice_open = True
            loop.call_soon(self._end_slice)

    def _end_slice(self) -> None:
        self._slice_open = False
        self._slices += 1
        self._spent = 0.0

    def _pump(self) -> None:
        # Released now, they run in the next iteration, ahead of this pump's
        # next call: that iteration spends about one slice on them.
        room = max(1, int(self._slice / self._estimate))
        released = 0
        while self._waiting and released < room:
            future = self._waiting.popleft()
            if not future.done():  # its connection's task was cancelled
                future.set_result(None)
                released += 1
        if self._waiting:
            asyncio.get_running_loop().call_soon(self._pump)
        else:
            self._pumping = False
