"""Take a receiver's RTP packets before aiortc's jitter buffer.

aiortc's audio receive path holds every packet in a JitterBuffer with a
prefetch of 4 frames (~80 ms) before decoding it on a thread. Live audio
rooms need less, so stage input on the server and room audio on the client
are played out by ``app.dsp.jitter_buffer`` instead.

Hook (app.media.aiortc_hooks): ``RTCDtlsTransport`` routes each decrypted,
parsed packet to the receiver's packet handler; replacing it on one
receiver instance diverts that receiver's packets and nothing else.
aiortc's decoder thread then idles, its remote track never yields a frame,
and its RTCP receiver reports stop (they describe the packets it sees; no
sender here depends on them).

Fast path: aiortc hands each datagram from the ICE connection to the DTLS
transport through an asyncio queue and a task that awaits three coroutines
per packet, then parses the full header and routes it: a few hundred
microseconds of a listener's event loop, 50 times a second. Once the first
packet has come the slow way (SRTP keys exist), the ICE connection's
datagram handler is wrapped on that instance: SRTP packets for a transport
with this one receiver are decrypted and handed over at once; DTLS, RTCP,
STUN and anything else still take aiortc's path.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pylibsrtp
from aiortc import RTCRtpTransceiver
from aiortc.rtp import is_rtcp

from app.media import aiortc_hooks as hooks


class RtpPacketLike(Protocol):
    # Read-only: aiortc's RtpPacket and our RtpHeader both qualify.
    @property
    def sequence_number(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def payload_type(self) -> int: ...


PacketHandler = Callable[[RtpPacketLike, float], None]
"""Gets each packet and its arrival time (``time.monotonic()``)."""


@dataclass(frozen=True, slots=True)
class RtpHeader:
    sequence_number: int
    timestamp: int
    payload: bytes
    payload_type: int


_FIXED = struct.Struct("!BBHI")


def parse_rtp(data: bytes) -> RtpHeader | None:
    """The fields playout needs from a decrypted RTP packet; None if malformed."""
    if len(data) < 12:
        return None
    first, second, seq, ts = _FIXED.unpack_from(data)
    if first >> 6 != 2:
        return None
    pos = 12 + 4 * (first & 0x0F)  # past the CSRCs
    if first & 0x10:  # header extension: 4-byte header, then its length in words
        if len(data) < pos + 4:
            return None
        pos += 4 + 4 * int.from_bytes(data[pos + 2 : pos + 4], "big")
    end = len(data) - (data[-1] if first & 0x20 else 0)  # padding count in the last byte
    if end < pos:
        return None
    return RtpHeader(seq, ts, data[pos:end], second & 0x7F)


@dataclass
class TapStats:
    fast: int = 0  # packets that took the fast path
    slow: int = 0  # packets that came through aiortc's receive task
    rejected: int = 0  # SRTP failures and malformed headers on the fast path


def tap_rtp(transceiver: RTCRtpTransceiver, on_packet: PacketHandler) -> TapStats:
    """Send ``transceiver``'s incoming RTP to ``on_packet`` instead of aiortc's decoder."""
    receiver = transceiver.receiver
    monotonic = time.monotonic
    stats = TapStats()
    hooked: set[int] = set()  # ids of ICE connections already wrapped

    async def handle_rtp_packet(packet: Any, arrival_time_ms: int = 0) -> None:
        stats.slow += 1
        if packet.payload:  # empty = padding/keep-alive, nothing to play
            on_packet(packet, monotonic())
        _hook_fast_path(receiver, on_packet, stats, hooked)

    hooks.divert_rtp_packets(receiver, handle_rtp_packet)
    return stats


def _hook_fast_path(
    receiver: Any, on_packet: PacketHandler, stats: TapStats, hooked: set[int]
) -> None:
    dtls = receiver.transport
    connection = hooks.ice_connection(dtls)
    srtp = hooks.inbound_srtp(dtls)
    if connection is None or id(connection) in hooked or srtp is None:
        return
    hooked.add(id(connection))
    monotonic = time.monotonic
    only = hooks.routes_only

    def data_received(data: bytes, component: int) -> None:
        if (
            not 127 < data[0] < 192  # not SRTP/SRTCP (DTLS, or nothing)
            or is_rtcp(data)
            or not only(dtls, receiver)  # a bundle: let aiortc route it
        ):
            slow_path(data, component)
            return
        try:
            header = parse_rtp(srtp.unprotect(data))
        except pylibsrtp.Error:
            header = None  # forged, replayed or corrupt: dropped, as aiortc does
        if header is None:
            stats.rejected += 1
            return
        stats.fast += 1
        if header.payload:
            on_packet(header, monotonic())

    slow_path = hooks.divert_datagrams(connection, data_received)
