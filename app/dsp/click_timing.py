"""Mouth-to-ear latency from click trains: frame clocks on both ends, onset matching.

Both ends note ``time.monotonic()`` as each 20 ms frame passes (the sender
when a frame leaves its source, the receiver when a frame is handed to
playback); a click's time is its frame's time plus its offset in the frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.dsp.analysis import AnyAudio, detect_onsets


class FrameTimes:
    """When each consecutive frame of a stream passed a point (seconds)."""

    def __init__(self, frame_samples: int = FRAME_SAMPLES, rate: int = SAMPLE_RATE) -> None:
        self.frame_samples = frame_samples
        self.rate = rate
        self._times: list[float] = []

    def __len__(self) -> int:
        return len(self._times)

    def mark(self, t: float) -> None:
        self._times.append(t)

    def since(self, frame: int) -> FrameTimes:
        """The same stream, starting at ``frame``."""
        tail = FrameTimes(self.frame_samples, self.rate)
        tail._times = self._times[frame:]
        return tail

    def time_of(self, sample: int) -> float:
        frame, offset = divmod(sample, self.frame_samples)
        return self._times[frame] + offset / self.rate


def click_times(samples: AnyAudio, times: FrameTimes, threshold: float = 0.1) -> list[float]:
    """Times of the click onsets in ``samples`` (sample 0 = the first marked frame)."""
    limit = len(times) * times.frame_samples
    onsets = detect_onsets(samples[:limit], threshold, min_gap=times.rate // 20)
    return [times.time_of(i) for i in onsets]


def match_clicks(
    sent: Sequence[float], received: Sequence[float], max_latency: float
) -> tuple[list[float], int]:
    """Latency of each received click: the latest unused sent click before it, if close enough.

    Returns (latencies, unmatched): a received click with no sent click
    within ``max_latency`` before it (an echo of concealment, noise) is
    unmatched. Clicks must be spaced further apart than ``max_latency``.
    """
    latencies: list[float] = []
    unmatched = 0
    used: set[int] = set()
    j = 0
    for r in sorted(received):
        while j < len(sent) and sent[j] <= r:
            j += 1
        k = j - 1
        if k >= 0 and k not in used and r - sent[k] <= max_latency:
            used.add(k)
            latencies.append(r - sent[k])
        else:
            unmatched += 1
    return latencies, unmatched


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]
