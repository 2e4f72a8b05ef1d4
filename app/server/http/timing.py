"""The server's own request latency: from a frame's handling to its reply's writing.

A load test on one machine times requests from the load processes, which
share the cores with the server: their figures include their own lag. These
histograms time the same requests inside the server, on its monotonic clock,
from when the connection's handler takes the frame off aiohttp's queue to
when the reply goes into the socket (at once, or later by the connection's
writer when frames were queued before it). What they leave out is the time a
frame spent in the kernel's buffer and aiohttp's queue before its handler
ran: that is the loop's lag, sampled separately (`LoopLag`).

Requests are counted by lane (`stage` for members on the room's stage, whose
requests go first; `audience` for everyone else) and message type, with
`:busy` added for a join told to come back later. HdrHistogram
keeps every figure to 1 % at a fixed small size whatever the count.
"""

import asyncio
import time
from collections.abc import Callable

from hdrh.histogram import HdrHistogram

# Recorded in microseconds, from 1 µs to 10 minutes, to 2 significant digits.
_LOWEST, _HIGHEST, _DIGITS = 1, 600_000_000, 2


def _histogram() -> HdrHistogram:
    return HdrHistogram(_LOWEST, _HIGHEST, _DIGITS)


def summary_of(histogram: HdrHistogram) -> dict[str, float]:
    """Count, p50, p99 and max in milliseconds."""
    return {
        "n": histogram.get_total_count(),
        "p50_ms": histogram.get_value_at_percentile(50) / 1000,
        "p99_ms": histogram.get_value_at_percentile(99) / 1000,
        "max_ms": histogram.get_max_value() / 1000,
    }


class RequestTimes:
    """Histograms of request latency by `lane:type`, since start or the last reset."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_key: dict[str, HdrHistogram] = {}
        self.since = clock()

    def record(self, key: str, seconds: float) -> None:
        histogram = self._by_key.get(key)
        if histogram is None:
            histogram = self._by_key[key] = _histogram()
        histogram.record_value(min(_HIGHEST, max(_LOWEST, round(seconds * 1e6))))

    def reset(self) -> None:
        for histogram in self._by_key.values():
            histogram.reset()
        self.since = self._clock()

    def report(self) -> dict[str, object]:
        keys = sorted(k for k, h in self._by_key.items() if h.get_total_count())
        lanes: dict[str, HdrHistogram] = {}
        for key in keys:
            lane = key.split(":", 1)[0]
            merged = lanes.get(lane)
            if merged is None:
                merged = lanes[lane] = _histogram()
            merged.add(self._by_key[key])
        return {
            "seconds": self._clock() - self.since,
            "lanes": {lane: summary_of(h) for lane, h in sorted(lanes.items())},
            "requests": {key: summary_of(self._by_key[key]) for key in keys},
        }


class LoopLag:
    """How late the loop runs a callback: a timer every `interval`, timed against
    when it was due. A request's frame waits about this long before its handler runs."""

    def __init__(self, interval: float = 0.1) -> None:
        self._interval = interval
        self.histogram = _histogram()
        self.since = time.monotonic()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self._interval
            await asyncio.sleep(self._interval)
            late = max(0.0, loop.time() - due)
            self.histogram.record_value(min(_HIGHEST, max(_LOWEST, round(late * 1e6))))

    def reset(self) -> None:
        self.histogram.reset()
        self.since = time.monotonic()

    def report(self) -> dict[str, float]:
        return summary_of(self.histogram)
