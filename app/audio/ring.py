"""A thread-safe ring of PCM samples between a producer and a sound-device callback."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class RingStats:
    underruns: int  # reads that found too little: the gap was played as silence
    overruns: int  # writes that overflowed: the oldest audio was dropped
    dropped_samples: int
    level: int  # samples buffered now


class SampleRing:
    """Interleaved int16 samples, fixed capacity.

    - Overrun: a write that does not fit drops the *oldest* samples, so the
      newest audio always plays and latency stays bounded by ``capacity``.
    - Underrun: a read that finds too little returns what there is padded
      with silence and is counted; with ``target`` > 0 the ring then waits
      until ``target`` samples are buffered again before playing, so that a
      jittery producer gives one clean gap instead of a crackle.
    """

    def __init__(self, capacity: int, target: int = 0, channels: int = 1) -> None:
        if capacity <= 0 or not 0 <= target <= capacity:
            raise ValueError("need 0 <= target <= capacity and capacity > 0")
        self.channels = channels
        self.capacity = capacity - capacity % channels
        self.target = target - target % channels
        self._buf = np.zeros(self.capacity, dtype=np.int16)
        self._start = 0  # read position
        self._level = 0
        self._primed = target == 0
        self._lock = threading.Lock()
        self._underruns = 0
        self._overruns = 0
        self._dropped = 0

    @property
    def level(self) -> int:
        return self._level

    def stats(self) -> RingStats:
        with self._lock:
            return RingStats(self._underruns, self._overruns, self._dropped, self._level)

    def clear(self) -> None:
        with self._lock:
            self._start, self._level, self._primed = 0, 0, self.target == 0

    def write(self, pcm: NDArray[np.int16]) -> None:
        n = len(pcm) - len(pcm) % self.channels
        if n == 0:
            return
        with self._lock:
            if n > self.capacity:  # keep only the newest that fits
                self._dropped += n - self.capacity
                pcm, n = pcm[n - self.capacity : n], self.capacity
            overflow = self._level + n - self.capacity
            if overflow > 0:
                self._start = (self._start + overflow) % self.capacity
                self._level -= overflow
                self._dropped += overflow
                self._overruns += 1
            end = (self._start + self._level) % self.capacity
            first = min(n, self.capacity - end)
            self._buf[end : end + first] = pcm[:first]
            self._buf[: n - first] = pcm[first:n]
            self._level += n

    def read(self, n: int) -> NDArray[np.int16]:
        """Exactly ``n`` samples; silence where there was nothing to play."""
        out = np.zeros(n, dtype=np.int16)
        with self._lock:
            if not self._primed:
                if self._level < max(self.target, n):
                    return out  # still filling: silence, not an underrun
                self._primed = True
            take = min(n, self._level)
            take -= take % self.channels
            first = min(take, self.capacity - self._start)
            out[:first] = self._buf[self._start : self._start + first]
            out[first:take] = self._buf[: take - first]
            self._start = (self._start + take) % self.capacity
            self._level -= take
            if take < n:
                self._underruns += 1
                self._primed = self.target == 0
        return out
