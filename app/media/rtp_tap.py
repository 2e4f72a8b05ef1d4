"""Take a receiver's RTP packets before aiortc's jitter buffer.

aiortc's audio receive path holds every packet in a JitterBuffer with a
prefetch of 4 frames (~80 ms) before decoding it on a thread. Live audio
rooms need less, so stage input on the server and room audio on the client
are played out by ``app.dsp.playout`` instead.

Hook (aiortc 1.16): ``RTCDtlsTransport`` routes each decrypted, parsed
packet to ``RTCRtpReceiver._handle_rtp_packet(packet, arrival_time_ms)``;
replacing it on one receiver instance diverts that receiver's packets and
nothing else. aiortc's decoder thread then idles, its remote track never
yields a frame, and its RTCP receiver reports stop (they describe the packets
it sees; no sender here depends on them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from aiortc import RTCRtpTransceiver


class RtpPacketLike(Protocol):
    sequence_number: int
    timestamp: int
    payload: bytes
    payload_type: int


PacketHandler = Callable[[RtpPacketLike, float], None]
"""Gets each packet and its arrival time (``time.monotonic()``)."""


def tap_rtp(transceiver: RTCRtpTransceiver, on_packet: PacketHandler) -> None:
    """Send ``transceiver``'s incoming RTP to ``on_packet`` instead of aiortc's decoder."""
    receiver = transceiver.receiver
    monotonic = time.monotonic

    async def handle_rtp_packet(packet: Any, arrival_time_ms: int = 0) -> None:
        if packet.payload:  # empty = padding/keep-alive, nothing to play
            on_packet(packet, monotonic())

    setattr(receiver, "_handle_rtp_packet", handle_rtp_packet)  # noqa: B010 - instance override
