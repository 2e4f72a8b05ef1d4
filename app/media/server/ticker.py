"""Fixed-rate clock for the mixer: absolute deadlines, bounded catch-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from app.dsp import FRAME_SECONDS

logger = logging.getLogger(__name__)


class Ticker:
    """Calls ``on_tick()`` every ``period`` seconds on the running event loop.

    Deadlines are absolute (start + n * period), so the rate does not drift
    with scheduling delays. A tick that is late runs at once; after a stall of
    more than ``max_catch_up`` periods (a suspended process, a debugger) the
    missed ticks are skipped rather than sent in a burst.
    """

    def __init__(
        self, on_tick: Callable[[], None], period: float = FRAME_SECONDS, max_catch_up: int = 5
    ) -> None:
        self._on_tick = on_tick
        self.period = period
        self.max_catch_up = max_catch_up
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.skipped = 0
        self.max_lateness = 0.0
        self.shifted = 0.0  # seconds the phase was moved earlier, in all
        self._shift = 0.0  # to take off the next deadline

    def shift(self, seconds: float) -> None:
        """Run the next tick ``seconds`` (less than a period) sooner; every
        later deadline moves with it. The mixer uses this to tick just after
        its speakers' packets arrive instead of up to a frame later."""
        self._shift = min(max(0.0, seconds), 0.9 * self.period)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            lateness = loop.time() - deadline
            if lateness > self.max_catch_up * self.period:
                missed = int(lateness / self.period)
                self.skipped += missed
                deadline += missed * self.period
                logger.warning(
                    "mixer clock stalled %.0f ms, skipping %d ticks", lateness * 1e3, missed
                )
            self.max_lateness = max(self.max_lateness, lateness)
            try:
                self._on_tick()
            except Exception:
                logger.exception("mixer tick failed")
            self.ticks += 1
            deadline += self.period - self._shift
            self.shifted += self._shift
            self._shift = 0.0
