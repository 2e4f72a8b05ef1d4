"""Packet-loss concealment without the codec: repeat the last pitch period, fading out.

PyAV exposes no way to run Opus's own PLC (an empty packet means end of
stream to FFmpeg), so a lost frame is filled by continuing the last decoded
waveform period by period (phase-continuous for voiced speech and tones),
fading to silence over ``fade_frames`` frames.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES


class Concealer:
    def __init__(
        self,
        frame_samples: int = FRAME_SAMPLES,
        fade_frames: int = 3,
        min_period: int = 240,
        max_period: int = 960,
    ) -> None:
        # Periods of 5-20 ms: several pitch periods of a voice or a tone, which
        # an integer lag approximates better than a single short period.
        self.frame_samples = frame_samples
        self.fade_frames = fade_frames
        self.min_period = min_period
        self.max_period = max_period
        self._history = np.zeros(2 * max_period, dtype=np.float32)
        self._period = 0
        self._phase = 0
        self._count = 0

    def played(self, pcm: NDArray[np.int16]) -> None:
        """Remember audio that was really played (ends any concealment in progress)."""
        h, n = self._history, min(len(pcm), len(self._history))
        h[:-n] = h[n:]  # shift in place: no new array per frame (a device thread calls this)
        h[-n:] = pcm[-n:]
        self._count = 0

    def conceal(self) -> NDArray[np.int16]:
        """The next frame of concealment: a faded continuation, then silence."""
        n = self.frame_samples
        if self._count >= self.fade_frames or not self._history.any():
            self._count += 1
            return np.zeros(n, dtype=np.int16)
        if self._count == 0:
            self._period = self._find_period()
            self._phase = 0
        p = self._period
        idx = (self._phase + np.arange(n)) % p
        out = self._history[len(self._history) - p + idx]
        self._phase = (self._phase + n) % p
        start = 1.0 - self._count / self.fade_frames
        gain = np.linspace(start, start - 1.0 / self.fade_frames, n, endpoint=False)
        self._count += 1
        return np.clip(np.round(out * gain), -32768, 32767).astype(np.int16)

    def _find_period(self) -> int:
        # Normalised correlation of the last max_period samples with the
        # segment ``lag`` samples earlier, for every lag at once (FFT).
        h = self._history.astype(np.float64)
        m = self.max_period
        tail = h[-m:]
        size = 1 << (len(h) + m).bit_length()
        corr = np.fft.irfft(np.fft.rfft(h, size) * np.conj(np.fft.rfft(tail, size)), size)
        starts = np.arange(0, m - self.min_period + 1)  # segment start = m - lag
        cumsum = np.concatenate(([0.0], np.cumsum(h * h)))
        energy = cumsum[starts + m] - cumsum[starts]
        score = corr[starts] / np.sqrt(energy * float(np.dot(tail, tail)) + 1e-9)
        return int(m - starts[int(np.argmax(score))])
