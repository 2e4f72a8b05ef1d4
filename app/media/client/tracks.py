"""PCM in and out of aiortc tracks: a paced source and a recorder."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
from collections.abc import Callable

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE

_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


def pcm_frame(pcm: NDArray[np.int16], pts: int) -> av.AudioFrame:
    """20 ms of 48 kHz mono int16 as the frame aiortc's sender encodes."""
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = _TIME_BASE
    return frame


def frame_to_mono(frame: object) -> NDArray[np.int16]:
    """Decoded s16 (packed, mono or stereo) audio frame to mono int16."""
    if not isinstance(frame, av.AudioFrame):
        raise TypeError(f"expected an audio frame, got {type(frame).__name__}")
    data = frame.to_ndarray()
    if frame.format.name != "s16":
        raise ValueError(f"expected s16 audio, got {frame.format.name}")
    channels = len(frame.layout.channels)
    samples = data.reshape(-1, channels)
    mono: NDArray[np.int16] = (
        samples[:, 0].astype(np.int16)
        if channels == 1
        else (samples.astype(np.int32).sum(axis=1) // channels).astype(np.int16)
    )
    return mono


class PcmSourceTrack(MediaStreamTrack):
    """Audio track pulling 20 ms mono frames from ``next_frame``, paced in real time."""

    kind = "audio"

    def __init__(self, next_frame: Callable[[], NDArray[np.int16]]) -> None:
        super().__init__()
        self._next_frame = next_frame
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        delay = self._start + self._pts / SAMPLE_RATE - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        pcm = self._next_frame()
        frame = pcm_frame(pcm, self._pts)
        self._pts += FRAME_SAMPLES
        return frame


class Recorder:
    """Pulls frames from a remote track into memory (tests, bots, benchmarks)."""

    def __init__(self, track: MediaStreamTrack) -> None:
        self._track = track
        self._chunks: list[NDArray[np.int16]] = []
        self._task: asyncio.Task[None] | None = None
        self._progress = asyncio.Event()
        self.frames = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_for(self, frames: int) -> None:
        """Wait until ``frames`` frames in total have been recorded."""
        while self.frames < frames:
            self._progress.clear()
            await self._progress.wait()

    def clear(self) -> None:
        self._chunks.clear()

    def samples(self) -> NDArray[np.int16]:
        if not self._chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._chunks)

    async def _run(self) -> None:
        try:
            while True:
                frame = await self._track.recv()
                self._chunks.append(frame_to_mono(frame))
                self.frames += 1
                self._progress.set()
        except MediaStreamError:
            pass
