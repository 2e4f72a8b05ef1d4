"""Precedence for the stage: the audience's requests take turns, the stage's never wait.

One event loop serves every connection. In a storm the audience sends
thousands of requests at once; handled as they come, a host's request
queues behind all of them. The lane gives the audience a budget of its own
handling time per loop iteration: past it, the rest park in arrival order,
and once per iteration the lane lets through as many as the budget holds at
what an audience request has been costing. The stage's requests never enter
the lane, so they wait about one iteration at most, however long the
audience's queue.

The budget is a share of wall time: `share` of the time since the audience
last had its turn, at least `slice` and at most `cap`. A batch per iteration
(the lane before) made the audience's throughput follow the iteration rate,
so iterations made long by other work (a big fan-out, a summary) starved it:
at 15,000 listeners the return storm timed out. With a share, a long
iteration earns the audience a longer turn after it, and the stage still
gets the rest of the loop.

The budget is charged with the audience's own time, never the whole
iteration's: a request is charged what it took if it finished in the slice
it started in; one that waited (a join sleeping its turn at the gate) is not
charged the wait. A request from a connection that closed while parked is
skipped.
"""

import asyncio
import collections
import time
from collections.abc import Callable

# Audience handling time a loop iteration may spend: at least SLICE, else
# SHARE of the time since the audience's last turn, at most CAP.
SLICE = 0.005
SHARE = 0.5
CAP = 0.05
# What an audience request is taken to cost before any was measured, and
# the bounds of the estimate (no request costs more than a few ms of CPU).
FIRST_ESTIMATE = 100e-6
LOWEST, HIGHEST = 10e-6, 0.005
# Weight of each new measurement in the running estimate.
WEIGHT = 0.1


class AudienceLane:
    def __init__(
        self,
        slice_seconds: float = SLICE,
        share: float = SHARE,
        cap: float = CAP,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._slice = slice_seconds
        self._share = share
        self._cap = max(cap, slice_seconds)
        self._clock = clock
        # This slice's budget, and when the audience's last slice began.
        self._budget = slice_seconds
        self._last_turn = clock()
        self._last_pump = self._last_turn
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
        if not self._waiting and self._spent < self._budget:
            return self._slices
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append(future)
        if not self._pumping:
            self._pumping = True
            loop.call_soon(self._pump)
        await future
        self._open_slice(loop)
        return self._slices

    def now(self) -> float:
        """The lane's clock (time.perf_counter unless a test gave another)."""
        return self._clock()

    def charge(self, mark: int, started: float) -> None:
        """An audience request that got its turn at `mark` and began at
        `started` (`now()`) is done."""
        if mark != self._slices:
            return  # it waited across iterations: its time is not its own
        took = self._clock() - started
        self._spent += took
        estimate = self._estimate + WEIGHT * (took - self._estimate)
        self._estimate = min(HIGHEST, max(LOWEST, estimate))

    @property
    def budget(self) -> float:
        """The audience's handling time in the current (or last) slice."""
        return self._budget

    def _open_slice(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._slice_open:
            self._slice_open = True
            now = self._clock()
            since, self._last_turn = now - self._last_turn, now
            self._budget = min(self._cap, max(self._slice, self._share * since))
            loop.call_soon(self._end_slice)

    def _end_slice(self) -> None:
        self._slice_open = False
        self._slices += 1
        self._spent = 0.0

    def _pump(self) -> None:
        # Released now, they run in the next iteration, ahead of this pump's
        # next call: a share of the time since the last call (one whole
        # iteration, whatever else it held) is spent on them.
        now = self._clock()
        since, self._last_pump = now - self._last_pump, now
        budget = min(self._cap, max(self._slice, self._share * since))
        room = max(1, int(budget / self._estimate))
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
