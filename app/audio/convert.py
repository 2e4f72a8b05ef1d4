"""Format glue between a sound device and the room (48 kHz mono int16, 20 ms frames).

Devices that do not run at 48 kHz, or only in stereo, are resampled and
remixed with PyAV's resampler (libswresample); the room's own format passes
through untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import av
import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE

_LAYOUTS = {1: "mono", 2: "stereo"}


class Resampler:
    """Interleaved int16 at one (rate, channels) to another; stateful (keeps filter history)."""

    def __init__(self, in_rate: int, in_channels: int, out_rate: int, out_channels: int) -> None:
        for ch in (in_channels, out_channels):
            if ch not in _LAYOUTS:
                raise ValueError(f"{ch} channels: only mono and stereo are supported")
        self.in_rate, self.in_channels = in_rate, in_channels
        self.out_channels = out_channels
        self.passthrough = (in_rate, in_channels) == (out_rate, out_channels)
        self._av = (
            None
            if self.passthrough
            else av.AudioResampler(format="s16", layout=_LAYOUTS[out_channels], rate=out_rate)
        )

    def convert(self, pcm: NDArray[np.int16]) -> NDArray[np.int16]:
        if self._av is None:
            return pcm
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm, dtype=np.int16).reshape(1, -1),
            format="s16",
            layout=_LAYOUTS[self.in_channels],
        )
        frame.sample_rate = self.in_rate
        chunks = [f.to_ndarray().reshape(-1) for f in self._av.resample(frame)]
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        out: NDArray[np.int16] = np.concatenate(chunks).astype(np.int16, copy=False)
        return out


class Reframer:
    """Chunks of any length in, fixed-size frames out."""

    def __init__(self, size: int = FRAME_SAMPLES) -> None:
        self.size = size
        self._pending = np.zeros(0, dtype=np.int16)

    def push(self, pcm: NDArray[np.int16]) -> list[NDArray[np.int16]]:
        if len(pcm) == self.size and not len(self._pending):
            return [pcm]  # a device period of exactly one frame: no copies
        data = np.concatenate([self._pending, pcm]) if len(self._pending) else pcm
        whole = len(data) - len(data) % self.size
        self._pending = data[whole:].copy()
        return [data[i : i + self.size].copy() for i in range(0, whole, self.size)]


class ToRoom:
    """Captured device audio to the room's 20 ms frames; ``process`` (voice
    processing, in the room's format) runs between the resampler and the
    framing, on whatever each device period brings."""

    def __init__(
        self,
        rate: int,
        channels: int,
        process: Callable[[], Callable[[NDArray[np.int16]], NDArray[np.int16]] | None]
        | None = None,
    ) -> None:
        self._resampler = Resampler(rate, channels, SAMPLE_RATE, 1)
        self._frames = Reframer(FRAME_SAMPLES)
        self._process = process  # looked up per period: it may be switched on and off

    def push(self, pcm: NDArray[np.int16]) -> list[NDArray[np.int16]]:
        room = self._resampler.convert(pcm)
        process = self._process() if self._process is not None else None
        if process is not None:
            room = process(room)
        return self._frames.push(room)


class FromRoom:
    """Room frames to the device's format (interleaved).

    Mono to stereo duplicates the samples (unity gain in each ear, as a
    voice app should sound) rather than libswresample's -3 dB pan law.
    """

    def __init__(self, rate: int, channels: int) -> None:
        if channels not in _LAYOUTS:
            raise ValueError(f"{channels} channels: only mono and stereo are supported")
        self._resampler = Resampler(SAMPLE_RATE, 1, rate, 1)
        self._channels = channels
        self.passthrough = self._resampler.passthrough and channels == 1

    def convert(self, frame: NDArray[np.int16]) -> NDArray[np.int16]:
        mono = self._resampler.convert(frame)
        return np.repeat(mono, 2) if self._channels == 2 else mono
