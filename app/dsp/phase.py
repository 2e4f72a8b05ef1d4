"""When a clock that pulls from playout buffers should move its phase sooner.

A 20 ms clock pulling packets that arrive on another 20 ms clock makes each
packet wait for the next pull: 0-20 ms on top of the jitter target, set by
the clocks' relative phase when they started. Pulling sooner by what even
the latest packets have to spare (a buffer's ``excess_ms``) removes that
wait without risking an underrun. Used by the server's mixer (one clock,
many speakers: only what every talking speaker can spare) and by a sound
device's playback (in half frames, the device's period).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


class PhaseAligner:
    def __init__(
        self, *, min_shift_ms: float = 3.0, margin_ms: float = 2.0, interval: float = 1.0
    ) -> None:
        self.min_shift_ms = min_shift_ms  # smaller gains are not worth a jump
        self.margin_ms = margin_ms  # kept in hand beyond the buffers' own safety
        self.interval = interval  # s between moves: each needs a fresh measurement
        self._last = -math.inf
        self.shifts = 0
        self.shifted_ms = 0.0

    def shift_ms(self, excesses: Sequence[float | None], now: float) -> float:
        """How much sooner to pull (0: stay), given the ``excess_ms`` of every
        buffer in a talkspurt; one not measured yet (None) holds everything."""
        if not excesses or now - self._last < self.interval:
            return 0.0
        measured = [e for e in excesses if e is not None]
        if len(measured) < len(excesses):
            return 0.0
        gain = min(measured) - self.margin_ms
        if gain < self.min_shift_ms:
            return 0.0
        self._last = now
        self.shifts += 1
        self.shifted_ms += gain
        return gain
