"""Every aiortc internal the fan-out relies on lives here, so an aiortc upgrade touches one file.

aiortc's RTCRtpSender runs one coroutine and one encoder per peer, costing
tens of µs per packet. For a room we keep aiortc for what it does once per
peer - ICE, DTLS handshake, SDP, RTCP - and send the pre-built RTP packets
ourselves: per listener, only SRTP protect with that peer's keys and a
``sendto`` on that peer's ICE socket.

Hooks (aiortc 1.16 / aioice 0.13):
- ``RTCRtpSender._ssrc`` (+ ``RTCRtpReceiver._set_rtcp_ssrc``): set before the
  SDP is created so the announced SSRC is the room's shared one.
- ``RTCRtpTransceiver._codecs``: the negotiated payload type.
- ``RTCDtlsTransport._tx_srtp``: the outbound pylibsrtp session.
- ``RTCIceTransport._connection._nominated``: the aioice pair whose
  DatagramTransport and remote address carry the media.
- ``RTCRtpSender._send_rtcp``: wrapped so the sender reports aiortc keeps
  sending describe the stream we really send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from aiortc import MediaStreamTrack, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket

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
    sender._ssrc = ssrc
    transceiver.receiver._set_rtcp_ssrc(ssrc)
    track = ParkedTrack()
    sender.replaceTrack(track)
    if transceiver.direction in ("recvonly", "inactive"):
        transceiver.direction = "sendrecv" if transceiver.direction == "recvonly" else "sendonly"
    # Offerer: preferences shape the offer. Answerer: the offer was already
    # negotiated into _codecs, so narrow that list too.
    transceiver.setCodecPreferences(
        [c for c in sender.getCapabilities("audio").codecs if _is_opus(c.mimeType)]
    )
    if transceiver._codecs:
        opus = [c for c in transceiver._codecs if _is_opus(c.mimeType)]
        if not opus:
            raise ValueError("the peer does not offer Opus")
        transceiver._codecs = opus
    return track


def _is_opus(mime_type: str) -> bool:
    return mime_type.lower() == "audio/opus"


def negotiated_payload_type(transceiver: RTCRtpTransceiver) -> int:
    """The Opus payload type agreed for ``transceiver`` (after offer/answer)."""
    for codec in transceiver._codecs:
        if _is_opus(codec.mimeType) and codec.payloadType is not None:
            return codec.payloadType
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
        self._ice = dtls.transport._connection
        self.payload_type = negotiated_payload_type(transceiver)
        self.protect: ProtectFn = dtls._tx_srtp.protect
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
        pair = self._ice._nominated.get(1)
        if pair is None:
            raise ConnectionError("ICE has no nominated pair")
        self.sendto = pair.protocol.transport.sendto
        self.addr = pair.remote_addr

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
    original = sender._send_rtcp
    ssrc = sender._ssrc

    async def send_rtcp(packets: list[Any]) -> None:
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
        await original(packets)

    setattr(sender, "_send_rtcp", send_rtcp)  # noqa: B010 - instance override of a method
