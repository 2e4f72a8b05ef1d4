"""Audio files in and out, at the room's format (48 kHz mono int16).

Reading decodes with PyAV (WAV and anything FFmpeg reads) and resamples and
downmixes with its resampler; writing is a plain 16-bit WAV.
"""

import wave
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES

RATE = 48_000
FRAME = FRAME_SAMPLES


def read_audio(path: Path) -> NDArray[np.int16]:
    """The whole file as 48 kHz mono int16; raises ValueError naming the problem."""
    try:
        container = av.open(str(path))
    except (OSError, av.error.FFmpegError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    with container:
        if not container.streams.audio:
            raise ValueError(f"{path} has no audio")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks: list[NDArray[np.int16]] = []
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.int16))
        for out in resampler.resample(None):  # flush what the resampler holds
            chunks.append(out.to_ndarray().reshape(-1).astype(np.int16))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def write_wav(path: Path, samples: NDArray[np.int16]) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())


class FileSource:
    """Hands out a recording 20 ms at a time, then silence; `done` once played."""

    def __init__(self, samples: NDArray[np.int16]) -> None:
        padded = -len(samples) % FRAME
        self._samples = np.concatenate([samples, np.zeros(padded, dtype=np.int16)])
        self._pos = 0

    @property
    def done(self) -> bool:
        return self._pos >= len(self._samples)

    @property
    def seconds(self) -> float:
        return len(self._samples) / RATE

    def next_frame(self) -> NDArray[np.int16]:
        if self.done:
            return np.zeros(FRAME, dtype=np.int16)
        frame = self._samples[self._pos : self._pos + FRAME]
        self._pos += FRAME
        return frame
