"""Opus encoding of 20 ms, 48 kHz mono int16 frames (PyAV's libopus)."""

from __future__ import annotations

import fractions

import av
import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE

_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


class OpusEncoder:
    """One encoder = one stream's state; feed it one frame per tick."""

    def __init__(self, bitrate: int = 32_000, application: str = "audio") -> None:
        codec = av.CodecContext.create("libopus", "w")
        codec.sample_rate = SAMPLE_RATE
        codec.layout = "mono"
        codec.format = "s16"
        codec.bit_rate = bitrate
        codec.time_base = _TIME_BASE
        codec.options = {"application": application}
        self._codec = codec
        self._pts = 0

    def encode(self, pcm: NDArray[np.int16]) -> bytes:
        """Encode exactly one frame; libopus emits one packet per 20 ms frame."""
        if pcm.shape != (FRAME_SAMPLES,):
            raise ValueError(f"expected {FRAME_SAMPLES} mono samples, got {pcm.shape}")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        self._pts += FRAME_SAMPLES
        packets = self._codec.encode(frame)
        return b"".join(bytes(p) for p in packets)


class OpusDecoder:
    """One stream's decoder: Opus packets (mono or stereo) to 48 kHz mono int16."""

    def __init__(self) -> None:
        codec = av.CodecContext.create("libopus", "r")
        codec.sample_rate = SAMPLE_RATE
        codec.layout = "mono"  # libopus downmixes a stereo stream itself
        codec.format = "s16"
        self._codec = codec

    def decode(self, payload: bytes) -> NDArray[np.int16]:
        """Decode one packet; empty on a corrupt packet (the caller conceals)."""
        try:
            frames = self._codec.decode(av.Packet(payload))
        except av.FFmpegError:
            return np.zeros(0, dtype=np.int16)
        # Packed s16 mono: the one plane is the samples (to_ndarray would
        # stack planes; this runs 50 times a second on a device thread).
        parts = [
            np.frombuffer(memoryview(f.planes[0]), dtype=np.int16, count=f.samples) for f in frames
        ]
        if not parts:
            return np.zeros(0, dtype=np.int16)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
