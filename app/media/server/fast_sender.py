"""The fan-out's send path beside aiortc: the sink of one listener.

aiortc's RTCRtpSender runs one coroutine and one encoder per peer, costing
tens of µs per packet. For a room we keep aiortc for what it does once per
peer - ICE, DTLS handshake, SDP, RTCP - and send the pre-built RTP packets
ourselves: per listener, only SRTP protect with that peer's keys and a
``sendto`` on that peer's ICE socket.

The aiortc and aioice internals this needs are reached only through
``app.media.aiortc_hooks``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from aiortc import MediaStreamTrack, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket

from app.media import aiortc_hooks as hooks

logger = logging.getLogger(__name__)

ProtectFn = Callable[[bytes], bytes]
SendToFn = Callable[[bytes, Any], None]


class ReportSource(Protocol):
    """What a sender report needs from the stream a sink is attached to."""

    def sender_info(self) -> tuple[int, int, int, int]:
        """(NTP time, RTP timestamp, packet count, octet count)."""
        ...


class ParkedTrack(MediaStreamTrack):
    """An audio track that never yields a frame.

    Giving it to the transceiver makes aiortc negotiate a sending m-line and
    start its sender, whose RTP loop then waits here forever at no cost,
    instead of polling every 20 ms as it does with no track.
    """

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._ended: asyncio.Future[None] | None = None

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        if self._ended is None:
            self._ended = asyncio.get_running_loop().create_future()
        await self._ended
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)


def prepare_send_transceiver(transceiver: RTCRtpTransceiver, ssrc: int) -> ParkedTrack:
    """Make ``transceiver`` announce ``ssrc`` and send (only via the fast path).

    Call before createOffer/createAnswer. Restricts codecs to Opus.
    """
    sender = transceiver.sender
    hooks.announce_ssrc(transceiver, ssrc)
    track = ParkedTrack()
    sender.replaceTrack(track)
    if transceiver.direction in ("recvonly", "inactive"):
        transceiver.direction = "sendrecv" if transceiver.direction == "recvonly" else "sendonly"
    # Offerer: preferences shape the offer. Answerer: the offer was already
    # negotiated into _codecs, so narrow that list too.
    transceiver.setCodecPreferences(
        [c for c in sender.getCapabilities("audio").codecs if _is_opus(c.mimeType)]
    )
    negotiated = hooks.negotiated_codecs(transceiver)
    if negotiated:
        opus = [c for c in negotiated if _is_opus(c.mimeType)]
        if not opus:
            raise ValueError("the peer does not offer Opus")
        hooks.narrow_negotiated_codecs(transceiver, opus)
    return track


def _is_opus(mime_type: str) -> bool:
    return mime_type.lower() == "audio/opus"


def negotiated_payload_type(transceiver: RTCRtpTransceiver) -> int:
    """The Opus payload type agreed for ``transceiver`` (after offer/answer)."""
    for codec in hooks.negotiated_codecs(transceiver):
        if _is_opus(codec.mimeType) and codec.payloadType is not None:
            return int(codec.payloadType)
    raise ValueError("Opus was not negotiated")


class SrtpSink:
    """One peer's send path: protect with its SRTP keys, send on its ICE socket.

    ``protect`` and ``sendto`` are bound methods cached at connect time so the
    fan-out loop does two calls per listener and nothing else.
    """

    __slots__ = (
        "_dtls",
        "_ice",
        "addr",
        "closed",
        "on_closed",
        "payload_type",
        "protect",
        "report_source",
        "sendto",
    )

    def __init__(self, transceiver: RTCRtpTransceiver) -> None:
        dtls = transceiver.sender.transport
        if dtls.state != "connected":
            raise ConnectionError("DTLS is not connected")
        self._dtls = dtls
        self._ice = hooks.ice_connection(dtls)
        self.payload_type = negotiated_payload_type(transceiver)
        self.protect: ProtectFn = hooks.outbound_srtp(dtls).protect
        self.sendto: SendToFn
        self.addr: Any
        self.report_source: ReportSource | None = None
        self.on_closed: Callable[[SrtpSink], None] | None = None
        self.closed = False
        self.refresh_route()
        _wrap_sender_reports(transceiver, self)
        dtls.on("statechange", self._on_dtls_state)

    def refresh_route(self) -> None:
        """Re-read the ICE pair carrying media (cheap; called about once a second)."""
        route = None if self._ice is None else hooks.nominated_route(self._ice)
        if route is None:
            raise ConnectionError("ICE has no nominated pair")
        self.sendto, self.addr = route

    def send(self, packet: bytes) -> None:
        self.sendto(self.protect(packet), self.addr)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.on_closed is not None:
                self.on_closed(self)

    def _on_dtls_state(self) -> None:
        if self._dtls.state in ("closed", "failed"):
            self.close()


def _wrap_sender_reports(transceiver: RTCRtpTransceiver, sink: SrtpSink) -> None:
    # aiortc's sender still emits SR + SDES about once a second, but with its
    # own counters (all zero: it never sent a packet). Rewrite the sender info
    # from the stream the sink is attached to; piggyback a route refresh.
    sender = transceiver.sender
    ssrc = hooks.sender_ssrc(sender)

    async def rewrite(packets: list[Any]) -> list[Any]:
        source = sink.report_source
        if source is not None and not sink.closed:
            ntp, rtp_ts, count, octets = source.sender_info()
            info = RtcpSenderInfo(
                ntp_timestamp=ntp,
                rtp_timestamp=rtp_ts,
                packet_count=count & 0xFFFFFFFF,
                octet_count=octets & 0xFFFFFFFF,
            )
            for packet in packets:
                if isinstance(packet, RtcpSrPacket) and packet.ssrc == ssrc:
                    packet.sender_info = info
            try:
                sink.refresh_route()
            except ConnectionError:
                sink.close()
        return packets

    hooks.wrap_sender_rtcp(sender, rewrite)
