"""What a speaker sends: its frames encoded here, with Opus in-band FEC.

aiortc's own Opus encoder (stereo, 96 kb/s, no FEC, no loss hint) is used
only for frames; a track that yields encoded packets is sent as it is. So
the speaker's voice gets the same encoder as the server's mix
(``app.media.opus.OpusEncoder``: 48 kHz mono, 32 kb/s, FEC for a planned
loss rate), which lets the server rebuild a lost packet from the next one;
at a lower complexity than the server's (``VOICE_COMPLEXITY``: the speaker's CPU).
"""

from __future__ import annotations

import fractions
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame
from av.packet import Packet

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.media.client.tracks import frame_to_mono
from app.media.opus import PACKET_LOSS_HINT, VOICE_COMPLEXITY, OpusEncoder

_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


class OpusSendTrack(MediaStreamTrack):
    """Encodes each 20 ms frame of ``source`` (48 kHz, s16) to one Opus packet."""

    kind = "audio"

    def __init__(
        self,
        source: MediaStreamTrack,
        *,
        fec: bool = True,
        packet_loss: int = PACKET_LOSS_HINT,
        bitrate: int = 32_000,
    ) -> None:
        super().__init__()
        self.source = source
        self.encoder = OpusEncoder(
            bitrate, fec=fec, packet_loss=packet_loss, complexity=VOICE_COMPLEXITY
        )
        self.sent = 0

    async def recv(self) -> Frame | Packet[Any]:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self.source.recv()
            if not isinstance(frame, av.AudioFrame):
                return frame  # already encoded
            pcm = frame_to_mono(frame)
            if len(pcm) != FRAME_SAMPLES:
                raise ValueError(f"expected 20 ms frames, got {len(pcm)} samples")
            payload = self.encoder.encode(pcm)
            if not payload:
                continue
            packet = av.Packet(payload)
            packet.pts = frame.pts
            packet.time_base = frame.time_base or _TIME_BASE
            self.sent += 1
            return packet

    def stop(self) -> None:
        super().stop()
        self.source.stop()
