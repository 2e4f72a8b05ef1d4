"""Per-source PCM queue between a decoder (bursty arrivals) and the mixer clock."""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES


class FrameQueue:
    """Accepts PCM chunks of any length; hands out fixed frames at the mixer tick.

    - Priming: after creation or an underrun it returns nothing until
      ``prefetch`` frames are queued, which absorbs arrival jitter.
    - Bounded: beyond ``max_frames`` the oldest audio is dropped, so a source
      that delivers in bursts cannot build up latency.
    """

    def __init__(
        self, frame_samples: int = FRAME_SAMPLES, prefetch: int = 2, max_frames: int = 6
    ) -> None:
        if not 1 <= prefetch <= max_frames:
            raise ValueError("need 1 <= prefetch <= max_frames")
        self.frame_samples = frame_samples
        self.prefetch = prefetch
        self.max_frames = max_frames
        self._chunks: deque[NDArray[np.int16]] = deque()
        self._queued = 0
        self._primed = False
        self.dropped_samples = 0
        self.underruns = 0

    def __len__(self) -> int:
        """Queued samples."""
        return self._queued

    def push(self, pcm: NDArray[np.int16]) -> None:
        if len(pcm) == 0:
            return
        self._chunks.append(pcm)
        self._queued += len(pcm)
        excess = self._queued - self.max_frames * self.frame_samples
        if excess > 0:
            self._discard(excess)
            self.dropped_samples += excess

    def pop(self) -> NDArray[np.int16] | None:
        """One frame, or None while priming or after an underrun."""
        n = self.frame_samples
        if not self._primed:
            if self._queued < self.prefetch * n:
                return None
            self._primed = True
        if self._queued < n:
            self._primed = False
            self.underruns += 1
            return None
        return self._take(n)

    def clear(self) -> None:
        self._chunks.clear()
        self._queued = 0
        self._primed = False

    def _take(self, n: int) -> NDArray[np.int16]:
        parts: list[NDArray[np.int16]] = []
        need = n
        while need:
            head = self._chunks[0]
            if len(head) <= need:
                parts.append(self._chunks.popleft())
                need -= len(head)
            else:
                parts.append(head[:need])
                self._chunks[0] = head[need:]
                need = 0
        self._queued -= n
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _discard(self, n: int) -> None:
        self._take(n)
