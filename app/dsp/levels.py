"""Speech level for the active-speaker display."""

import numpy as np
from numpy.typing import NDArray

FLOOR_DBFS = -50.0  # quieter than this reads as silence


def speech_level(frame: NDArray[np.int16]) -> float:
    """0.0 (silence, below -50 dBFS) to 1.0 (full scale), linear in dB:
    what a talking indicator should show, and cheap enough for every tick."""
    if len(frame) == 0:
        return 0.0
    samples = frame.astype(np.float32) / 32768.0
    rms = float(np.sqrt(np.mean(samples * samples)))
    if rms <= 0.0:
        return 0.0
    dbfs = 20.0 * float(np.log10(rms))
    return float(min(1.0, max(0.0, (dbfs - FLOOR_DBFS) / -FLOOR_DBFS)))
