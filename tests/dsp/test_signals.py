import numpy as np
import pytest

from app.dsp.analysis import (
    detect_onsets,
    normalized_xcorr,
    peak_frequency,
    rms_dbfs,
    tone_power_ratio,
)
from app.dsp.signals import ToneSource, click_train, to_float, to_int16, tone

RATE = 48_000


@pytest.mark.parametrize("freq", [440.0, 660.0, 1234.5])
def test_peak_frequency_of_pure_tone(freq: float) -> None:
    assert peak_frequency(tone(freq, RATE // 2)) == pytest.approx(freq, abs=1.0)


def test_peak_frequency_accepts_int16() -> None:
    assert peak_frequency(to_int16(tone(440.0, 9600))) == pytest.approx(440.0, abs=2.0)


def test_tone_power_ratio_separates_mixed_tones() -> None:
    mixed = tone(440.0, RATE) + tone(660.0, RATE)
    assert tone_power_ratio(mixed, 440.0) == pytest.approx(0.5, abs=0.02)
    assert tone_power_ratio(mixed, 660.0) == pytest.approx(0.5, abs=0.02)
    assert tone_power_ratio(tone(660.0, RATE), 440.0) < 1e-4
    assert tone_power_ratio(np.zeros(100, dtype=np.float32), 440.0) == 0.0


def test_tone_source_is_phase_continuous() -> None:
    src = ToneSource(440.0, amplitude=0.5)
    joined = np.concatenate([src.next_frame() for _ in range(50)])
    reference = to_int16(tone(440.0, len(joined), amplitude=0.5))
    assert np.abs(joined.astype(np.int32) - reference).max() <= 1


def test_int16_float_round_trip() -> None:
    x = tone(100.0, 480, amplitude=0.9)
    assert np.allclose(to_float(to_int16(x)), x, atol=1e-4)
    assert to_int16(np.array([2.0, -2.0], dtype=np.float32)).tolist() == [32767, -32768]


def test_rms_dbfs() -> None:
    assert rms_dbfs(np.ones(10, dtype=np.float32)) == pytest.approx(0.0)
    assert rms_dbfs(tone(1000.0, RATE, amplitude=1.0)) == pytest.approx(-3.01, abs=0.05)
    assert rms_dbfs(np.zeros(10, dtype=np.float32)) == float("-inf")


def test_click_train_onsets() -> None:
    clicks = click_train(RATE, interval=4800, offset=100)
    onsets = detect_onsets(clicks, threshold=0.05)
    assert len(onsets) == 10
    assert all(abs(o - (100 + 4800 * i)) < 16 for i, o in enumerate(onsets))


@pytest.mark.parametrize("delay", [0, 1, 37, 960])
def test_normalized_xcorr_finds_delay(delay: int) -> None:
    a = click_train(RATE // 2, interval=7000, offset=50) + tone(300.0, RATE // 2, amplitude=0.1)
    b = np.concatenate([np.zeros(delay, dtype=np.float32), a])[: len(a)] * 0.5
    lag, coeff = normalized_xcorr(a, b)
    assert lag == delay
    assert coeff > 0.9


def test_normalized_xcorr_negative_lag_and_inversion() -> None:
    a = click_train(9600, interval=3000, offset=500)
    lag, coeff = normalized_xcorr(a, -a[20:])
    assert lag == -20
    assert coeff < -0.9


def test_normalized_xcorr_of_silence() -> None:
    assert normalized_xcorr(np.zeros(8), np.ones(8)) == (0, 0.0)
