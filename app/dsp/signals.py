"""Deterministic test signals: tones and click trains."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE


def tone(
    freq: float, n: int, rate: int = SAMPLE_RATE, amplitude: float = 0.5, phase: float = 0.0
) -> NDArray[np.float32]:
    """``n`` samples of a sine at ``freq`` Hz, full scale ±1.0."""
    t = np.arange(n, dtype=np.float64) / rate
    return (amplitude * np.sin(2 * math.pi * freq * t + phase)).astype(np.float32)


def to_int16(x: NDArray[np.float32]) -> NDArray[np.int16]:
    """Float (±1.0) to int16 with saturation."""
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def to_float(x: NDArray[np.int16]) -> NDArray[np.float32]:
    return (x.astype(np.float32) / 32768.0).astype(np.float32)


def click_train(
    n: int,
    interval: int,
    rate: int = SAMPLE_RATE,
    click_len: int = 48,
    amplitude: float = 0.8,
    offset: int = 0,
) -> NDArray[np.float32]:
    """Short Hann-windowed 4 kHz bursts every ``interval`` samples, starting at ``offset``.

    A windowed burst survives Opus far better than a single-sample impulse,
    and its onset is still sharp enough to time to within a millisecond.
    """
    out = np.zeros(n, dtype=np.float32)
    burst = (
        amplitude
        * np.hanning(click_len)
        * np.sin(2 * math.pi * 4000.0 * np.arange(click_len) / rate)
    ).astype(np.float32)
    for start in range(offset, n, interval):
        end = min(n, start + click_len)
        out[start:end] = burst[: end - start]
    return out


class ToneSource:
    """Phase-continuous sine, handed out one int16 frame at a time."""

    def __init__(
        self,
        freq: float,
        amplitude: float = 0.3,
        rate: int = SAMPLE_RATE,
        frame_samples: int = FRAME_SAMPLES,
    ) -> None:
        self.freq = freq
        self.amplitude = amplitude
        self.rate = rate
        self.frame_samples = frame_samples
        self._phase = 0.0

    def next_frame(self) -> NDArray[np.int16]:
        frame = tone(self.freq, self.frame_samples, self.rate, self.amplitude, self._phase)
        # Keep the phase bounded so float error does not grow over long runs.
        step = 2 * math.pi * self.freq * self.frame_samples / self.rate
        self._phase = (self._phase + step) % (2 * math.pi)
        return to_int16(frame)
