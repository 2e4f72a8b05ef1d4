import numpy as np
import pytest

from app.dsp.analysis import peak_frequency, tone_power_ratio
from app.dsp.conceal import Concealer
from app.dsp.signals import ToneSource


def test_continues_a_tone_in_phase_then_fades_to_silence() -> None:
    source = ToneSource(660.0, amplitude=0.3)
    concealer = Concealer(fade_frames=3)
    for _ in range(3):
        concealer.played(source.next_frame())
    expected = source.next_frame()
    out = [concealer.conceal() for _ in range(5)]
    # The first concealed frame continues the waveform where it left off.
    assert np.corrcoef(out[0].astype(float), expected.astype(float))[0, 1] > 0.95
    assert peak_frequency(np.concatenate(out[:2])) == pytest.approx(660.0, abs=5.0)
    assert tone_power_ratio(np.concatenate(out[:3]), 660.0) > 0.8
    peaks = [int(np.abs(frame).max()) for frame in out]
    assert peaks[0] > peaks[1] > peaks[2] > 0
    assert peaks[3] == peaks[4] == 0


def test_new_audio_resets_the_fade_and_nothing_heard_gives_silence() -> None:
    concealer = Concealer()
    assert not concealer.conceal().any()
    source = ToneSource(440.0)
    concealer.played(source.next_frame())
    for _ in range(4):
        concealer.conceal()
    concealer.played(source.next_frame())
    assert np.abs(concealer.conceal()).max() > 5000
