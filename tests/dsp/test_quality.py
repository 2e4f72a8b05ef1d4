"""The speech measures: P.56-style active speech level and the windows that count."""

import numpy as np

from app.dsp import SAMPLE_RATE
from app.dsp.quality import (
    ACTIVE_DBFS,
    P56_MARGIN_DB,
    active_speech_level,
    similarity,
    speech_windows_db,
)


def hiss(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    """White noise at an RMS of ``dbfs`` (no period: every lag but the right one is poor)."""
    x = np.random.default_rng(seed).standard_normal(int(seconds * SAMPLE_RATE))
    return (x * 32768 * 10 ** (dbfs / 20)).astype(np.int16)


def test_active_level_ignores_pauses() -> None:
    gap = np.zeros(SAMPLE_RATE * 3, dtype=np.int16)
    short = np.concatenate([hiss(1.0, -20.0), gap])
    long = np.concatenate([hiss(1.0, -20.0), gap, gap, gap])
    assert abs(active_speech_level(short) - -20.0) < 0.1
    assert abs(active_speech_level(long) - -20.0) < 0.1


def test_windows_far_below_the_talker_do_not_count_as_speech() -> None:
    # A voice at -20 dBFS with a tail at -37 dBFS (17 dB under it, above -40 dBFS).
    voice = np.concatenate([hiss(2.0, -20.0), hiss(0.25, -37.0, seed=2)])
    threshold = speech_windows_db(voice)
    assert abs(threshold - (-20.0 - P56_MARGIN_DB)) < 0.1
    # The tail replaced by noise: the old measure counts that window, this one does not.
    heard = voice.copy()
    heard[-SAMPLE_RATE // 4 :] = hiss(0.25, -37.0, seed=1)
    old, new = similarity(voice, heard), similarity(voice, heard, active_db=threshold)
    assert old.windows == new.windows + 1
    assert new.mean > 0.99 > old.mean
    # Never below the absolute floor: a quiet talker's pauses are still pauses.
    assert speech_windows_db(hiss(1.0, -50.0)) == ACTIVE_DBFS
