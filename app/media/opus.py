"""Opus for 20 ms, 48 kHz mono int16 frames.

Encoding is PyAV's libopus with in-band FEC on: each packet also carries a
low-rate copy of the frame before it, which the receiver decodes when that
frame was lost (``packet_loss`` is the loss rate the encoder plans for).
Decoding is libopus itself (Debian's libopus0 through opuslib-next's ctypes
binding), because PyAV can neither decode FEC nor run the codec's own
packet-loss concealment (an empty packet means end of stream to FFmpeg).
"""

from __future__ import annotations

import ctypes
import fractions

import av
import numpy as np
import opuslib_next.api.decoder as libopus_decoder
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE

_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
# The loss rate FEC is planned for when nothing better is known: enough for
# libopus to keep the redundant copy at a useful rate, for a few % of the bitrate.
PACKET_LOSS_HINT = 10
# The speaker's encoder complexity (0-10; libopus's default, the server's, is
# 10). 5 is what libwebrtc uses on phones: ~25 % less encoder CPU here for
# speech that decodes as alike as makes no difference (docs/audio.md).
VOICE_COMPLEXITY = 5


class OpusEncoder:
    """One encoder = one stream's state; feed it one frame per tick."""

    def __init__(
        self,
        bitrate: int = 32_000,
        application: str = "audio",
        *,
        fec: bool = True,
        packet_loss: int = PACKET_LOSS_HINT,
        complexity: int | None = None,
    ) -> None:
        if not 0 <= packet_loss <= 100:
            raise ValueError(f"packet_loss is a percentage, got {packet_loss}")
        if complexity is not None and not 0 <= complexity <= 10:
            raise ValueError(f"complexity is 0-10, got {complexity}")
        codec = av.CodecContext.create("libopus", "w")
        codec.sample_rate = SAMPLE_RATE
        codec.layout = "mono"
        codec.format = "s16"
        codec.bit_rate = bitrate
        codec.time_base = _TIME_BASE
        codec.options = {
            "application": application,
            "fec": "1" if fec else "0",
            "packet_loss": str(packet_loss if fec else 0),
        }
        if complexity is not None:
            codec.options = {**codec.options, "compression_level": str(complexity)}
        self.fec = fec
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
    """One stream's decoder: Opus packets (mono or stereo) to 48 kHz mono int16.

    Three ways to get the next 20 ms: ``decode`` a packet that arrived,
    ``recover`` a lost one from the FEC in the packet after it, or
    ``conceal`` one with the codec's own PLC when nothing is there. Each
    returns a fresh array (the caller may keep it).
    """

    def __init__(self) -> None:
        self._state = libopus_decoder.create_state(SAMPLE_RATE, 1)  # downmixes stereo itself
        self._decode = libopus_decoder.libopus_decode
        # One output buffer and its pointer for every call: ``ndarray.ctypes``
        # imports a numpy module and builds objects on each access.
        self._out = np.empty(FRAME_SAMPLES * 6, dtype=np.int16)
        self._pointer = self._out.ctypes.data_as(ctypes.POINTER(ctypes.c_int16))
        self.fec_recovered = 0
        self.concealed = 0

    def __del__(self) -> None:
        state = getattr(self, "_state", None)
        if state is not None:
            libopus_decoder.destroy(state)

    def decode(self, payload: bytes) -> NDArray[np.int16]:
        """Decode one packet; empty on a corrupt packet (the caller conceals)."""
        return self._run(payload, FRAME_SAMPLES * 6, fec=False)  # up to 120 ms per packet

    def recover(self, following: bytes) -> NDArray[np.int16]:
        """The lost frame before ``following``, from its FEC data; libopus
        falls back to concealment when the packet carries none."""
        pcm = self._run(following, FRAME_SAMPLES, fec=True)
        if len(pcm) != FRAME_SAMPLES:  # corrupt: conceal instead
            return self.conceal()
        self.fec_recovered += 1
        return pcm

    def conceal(self) -> NDArray[np.int16]:
        """20 ms of libopus's packet-loss concealment (fades out over repeated calls)."""
        self.concealed += 1
        pcm = self._run(b"", FRAME_SAMPLES, fec=False)
        return pcm if len(pcm) == FRAME_SAMPLES else np.zeros(FRAME_SAMPLES, dtype=np.int16)

    def _run(self, payload: bytes, max_samples: int, *, fec: bool) -> NDArray[np.int16]:
        n = int(
            self._decode(self._state, payload, len(payload), self._pointer, max_samples, int(fec))
        )
        if n < 0:  # OPUS_INVALID_PACKET and friends
            return np.zeros(0, dtype=np.int16)
        return self._out[:n].copy()  # fresh: the caller keeps it
