"""The talking indicator's level."""

import numpy as np

from app.dsp.levels import speech_level
from app.dsp.signals import to_int16, tone


def test_silence_and_near_silence_read_zero() -> None:
    assert speech_level(np.zeros(960, dtype=np.int16)) == 0.0
    assert speech_level(np.full(960, 3, dtype=np.int16)) == 0.0  # about -80 dBFS


def test_louder_reads_higher_and_full_scale_reads_one() -> None:
    quiet = speech_level(to_int16(tone(440, 960, amplitude=0.01)))
    loud = speech_level(to_int16(tone(440, 960, amplitude=0.3)))
    square = speech_level(np.full(960, 32767, dtype=np.int16))
    assert 0.0 < quiet < loud < 1.0
    assert square > 0.999
