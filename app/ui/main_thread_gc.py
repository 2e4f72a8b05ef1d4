"""Cyclic garbage collected on the Qt thread only.

CPython starts a collection on whichever thread allocates when a threshold
is crossed: in the app, often one of PortAudio's callback threads (50 frames
a second each way) or an asyncio worker thread. A Qt object owned by Python
and caught in a reference cycle is then destroyed on that thread, and a
QObject destroyed off its own thread cannot unregister its timers: Qt warns
"Timers cannot be stopped from another thread", and its next timer event is
delivered to freed memory. That was the Qt test session's intermittent
SIGSEGV in ``QTimerInfoList::activateTimers`` (reproduced with a cycle
holding a running QTimer, collected on a worker thread:
tests/ui/test_main_thread_gc.py).

So while the app's loop exists, automatic collection is off and the loop
collects on its own thread, as CPython would: once more than ``threshold0``
objects were made, the oldest generation whose count is over its threshold.
CPython also holds full collections back until the long-lived objects grew
by a quarter, which Python cannot see; here they wait at least `FULL_EVERY`
seconds instead, so that a heap of a few hundred thousand objects is not
walked every few seconds.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

INTERVAL = 0.1  # s: ~700 allocations between looks at most rates; a young collection is µs
FULL_EVERY = 30.0  # s, at least, between full collections


def due(
    counts: tuple[int, int, int],
    thresholds: tuple[int, int, int],
    since_full: float,
    full_every: float = FULL_EVERY,
) -> int | None:
    """The generation to collect now, if any (CPython's rule, with a time
    floor for full collections)."""
    if thresholds[0] == 0 or counts[0] <= thresholds[0]:
        return None  # threshold 0 is CPython's "collection off"
    if counts[2] > thresholds[2] and since_full >= full_every:
        return 2
    if counts[1] > thresholds[1]:
        return 1
    return 0


class MainThreadCollector:
    """Turns automatic collection off and collects from `loop`'s callbacks."""

    def __init__(
        self,
        interval: float = INTERVAL,
        full_every: float = FULL_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._full_every = full_every
        self._clock = clock
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._was_enabled = False
        self._full_at = clock()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._full_at = self._clock()
        self._schedule()

    def stop(self) -> None:
        """Collect what is left (on this thread) and give collection back."""
        if self._loop is None:
            return  # never started, or stopped already
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._loop = None
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def check(self) -> int | None:
        """Collect if due; the generation collected, if any."""
        now = self._clock()
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        generation = due(counts, thresholds, now - self._full_at, self._full_every)
        if generation is not None:
            gc.collect(generation)
            if generation == 2:
                self._full_at = now
        return generation

    def _schedule(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._handle = self._loop.call_later(self._interval, self._tick)

    def _tick(self) -> None:
        try:
            self.check()
        except Exception:  # a finaliser's error must not end the collecting
            log.exception("collecting garbage failed")
        self._schedule()
