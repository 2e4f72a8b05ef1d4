"""Measurements for audio tests: spectral peaks, tone levels, correlation, onsets."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from app.dsp import SAMPLE_RATE

AnyAudio = NDArray[np.floating] | NDArray[np.integer]


def _as_float(x: AnyAudio) -> NDArray[np.float64]:
    a = np.asarray(x, dtype=np.float64)
    if np.issubdtype(np.asarray(x).dtype, np.integer):
        a = a / 32768.0
    return a


def _spectrum(x: AnyAudio) -> NDArray[np.float64]:
    a = _as_float(x)
    a = a - a.mean()
    return np.abs(np.fft.rfft(a * np.hanning(len(a))))


def peak_frequency(x: AnyAudio, rate: int = SAMPLE_RATE) -> float:
    """Frequency of the strongest spectral peak, refined by parabolic interpolation."""
    if len(x) < 4:
        raise ValueError("need at least 4 samples")
    mag = _spectrum(x)
    k = int(np.argmax(mag[1:])) + 1
    offset = 0.0
    if 0 < k < len(mag) - 1:
        # Interpolate on log magnitude: exact for a Gaussian-like window main lobe.
        a, b, c = np.log(mag[k - 1 : k + 2] + 1e-12)
        denom = a - 2 * b + c
        if denom != 0:
            offset = 0.5 * (a - c) / denom
    return float((k + offset) * rate / len(x))


def tone_power_ratio(
    x: AnyAudio, freq: float, rate: int = SAMPLE_RATE, half_width: float = 15.0
) -> float:
    """Fraction (0..1) of the signal's spectral power within ``freq ± half_width`` Hz."""
    power = _spectrum(x) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    total = float(power[1:].sum())
    if total == 0.0:
        return 0.0
    band = (freqs >= freq - half_width) & (freqs <= freq + half_width)
    return float(power[band].sum()) / total


def rms_dbfs(x: AnyAudio) -> float:
    """RMS level in dB relative to full scale (a full-scale square wave is 0 dBFS)."""
    a = _as_float(x)
    rms = float(np.sqrt(np.mean(a * a))) if len(a) else 0.0
    return 20.0 * float(np.log10(rms)) if rms > 0 else float("-inf")


def normalized_xcorr(a: AnyAudio, b: AnyAudio) -> tuple[int, float]:
    """Best alignment of ``b`` against ``a``: (lag, normalised correlation in [-1, 1]).

    ``lag`` > 0 means ``b`` is delayed relative to ``a`` by ``lag`` samples.
    Computed with an FFT, so it is cheap for multi-second recordings.
    """
    x = _as_float(a)
    y = _as_float(b)
    x = x - x.mean()
    y = y - y.mean()
    norm = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
    if norm == 0.0:
        return 0, 0.0
    n = len(x) + len(y) - 1
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(y, size) * np.conj(np.fft.rfft(x, size)), size)
    # Circular lags: index size + L holds negative lag L; keep lags -(len(x)-1)..len(y)-1.
    corr = np.concatenate((corr[size - (len(x) - 1) :], corr[: len(y)]))
    i = int(np.argmax(np.abs(corr)))
    return i - (len(x) - 1), float(corr[i]) / norm


def detect_onsets(x: AnyAudio, threshold: float = 0.1, min_gap: int = 480) -> list[int]:
    """Sample indices where |x| first rises above ``threshold`` (full scale 1.0).

    Later crossings within ``min_gap`` samples of an onset belong to the same click.
    """
    a = np.abs(_as_float(x))
    above = np.flatnonzero(a >= threshold)
    onsets: list[int] = []
    for i in above:
        if not onsets or i - onsets[-1] >= min_gap:
            onsets.append(int(i))
    return onsets
