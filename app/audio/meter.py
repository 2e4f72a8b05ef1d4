"""Input level meter for the settings screen and the mic test."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FLOOR_DBFS = -60.0


class LevelMeter:
    """RMS and peak of the latest audio in dBFS, with a peak that falls back slowly.

    ``update`` runs on the capture thread, readers poll from the UI: the
    fields are plain floats replaced whole, so no lock is needed.
    """

    def __init__(self, rate: int = 48_000, peak_fall_db_per_s: float = 20.0) -> None:
        self.rate = rate
        self.fall = peak_fall_db_per_s
        self.rms_dbfs = FLOOR_DBFS
        self.peak_dbfs = FLOOR_DBFS  # held peak, decaying
        self.clipped = 0  # frames that touched full scale

    def update(self, pcm: NDArray[np.int16]) -> None:
        if len(pcm) == 0:
            return
        x = pcm.astype(np.float32) / 32768.0
        rms = float(np.sqrt(np.mean(x * x)))
        peak = float(np.max(np.abs(x)))
        self.rms_dbfs = max(FLOOR_DBFS, 20 * math.log10(rms)) if rms > 0 else FLOOR_DBFS
        now_peak = max(FLOOR_DBFS, 20 * math.log10(peak)) if peak > 0 else FLOOR_DBFS
        fallen = self.peak_dbfs - self.fall * len(pcm) / self.rate
        self.peak_dbfs = max(now_peak, fallen, FLOOR_DBFS)
        if peak >= 32767 / 32768:
            self.clipped += 1

    def reset(self) -> None:
        """Back to the floor (the microphone closed)."""
        self.rms_dbfs = FLOOR_DBFS
        self.peak_dbfs = FLOOR_DBFS

    @property
    def level(self) -> float:
        """0.0 (floor) .. 1.0 (full scale), linear in dB: what a bar shows."""
        return min(1.0, max(0.0, (self.rms_dbfs - FLOOR_DBFS) / -FLOOR_DBFS))
