"""The fan-out's send path beside aiortc: the sink of one listener.

aiortc's RTCRtpSender runs one coroutine and one encoder per peer, costing
tens of µs per packet. For a room we keep aiortc for what it does once per
peer - ICE, the DTLS handshake, SDP - and send the pre-built RTP packets
ourselves (app.media.server.batch): per listener only SRTP protect with
that peer's keys, and its share of one ``sendmmsg`` on the shared socket.
aiortc's per-peer RTCP loops are parked (the fan-out sends sender reports
for a whole stream in one batch) and aioice's per-peer consent task is
replaced by the media sockets' consent wheel.

SRTP: the server is the DTLS client (the listener offers, we answer with
``a=setup:active``), so the listener picks the profile among those we
offer, by its own preference. We offer ``SRTP_PROFILES``: AEAD AES-128-GCM
(one pass: cipher and tag together) before AES-128-CM + HMAC-SHA1-80; not
AES-256-GCM, which aiortc would otherwise prefer and which costs more per
packet (docs/media.md has the figures).

The aiortc and aioice internals this needs are reached only through
``app.media.aiortc_hooks``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from aiortc import MediaStreamTrack, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError

from app.media import aiortc_hooks as hooks
from app.media.server.udp_mux import MuxEndpoint, MuxTransport

logger = logging.getLogger(__name__)

SRTP_PROFILES = ("SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80")
"""Offered to listeners, cheapest first."""

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


def prepare_send_transceiver(
    transceiver: RTCRtpTransceiver, ssrc: int, srtp_profiles: Sequence[str] = SRTP_PROFILES
) -> ParkedTrack:
    """Make ``transceiver`` announce ``ssrc`` and send (only via the fast path).

    Call before createOffer/createAnswer. Restricts codecs to Opus, offers
    ``srtp_profiles`` in DTLS and parks aiortc's RTCP loops for this peer.
    """
    sender = transceiver.sender
    hooks.announce_ssrc(transceiver, ssrc)
    hooks.park_rtcp_loops(transceiver)
    hooks.offer_srtp_profiles(sender.transport, srtp_profiles)
    track = ParkedTrack()
    sender.replaceTrack(track)
    if transceiver.direction in ("recvonly", "inactive"):
        transceiver.direction = "sendrecv" if transceiver.direction == "recvonly" else "sendonly"
    # Offerer: preferences shape the offer. Answerer: the offer was already
    # negotiated into the transceiver's codecs, so narrow that list too.
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
    """One listener's send path: its SRTP session, its ICE route.

    On a shared media socket (``endpoint`` set) the fan-out batches it with
    the stream's other listeners there; otherwise (a TURN relay, a peer not
    on the mux) it is sent on its own with ``protect`` and ``sendto``.
    """

    __slots__ = (
        "_dtls",
        "_ice",
        "addr",
        "closed",
        "endpoint",
        "on_closed",
        "payload_type",
        "protect",
        "report_source",
        "sendto",
        "session",
        "srtp_profile",
    )

    def __init__(self, transceiver: RTCRtpTransceiver) -> None:
        dtls = transceiver.sender.transport
        if dtls.state != "connected":
            raise ConnectionError("DTLS is not connected")
        self._dtls = dtls
        self._ice = hooks.ice_connection(dtls)
        self.payload_type = negotiated_payload_type(transceiver)
        self.session: Any = hooks.outbound_srtp(dtls)
        self.protect: ProtectFn = self.session.protect
        self.srtp_profile = hooks.negotiated_srtp_profile(dtls)
        self.sendto: SendToFn
        self.addr: tuple[str, int]
        self.endpoint: MuxEndpoint | None = None
        self.report_source: ReportSource | None = None
        self.on_closed: Callable[[SrtpSink], None] | None = None
        self.closed = False
        self.refresh_route()
        dtls.on("statechange", self._on_dtls_state)

    @property
    def ice_connection(self) -> Any:
        return self._ice

    def refresh_route(self) -> bool:
        """Re-read the ICE pair carrying media; True if it moved. Raises
        ConnectionError if there is none any more."""
        route = None if self._ice is None else hooks.nominated_route(self._ice)
        if route is None:
            raise ConnectionError("ICE has no nominated pair")
        transport, addr = route
        endpoint = transport.endpoint if isinstance(transport, MuxTransport) else None
        moved = getattr(self, "addr", None) != addr or self.endpoint is not endpoint
        self.sendto, self.addr, self.endpoint = transport.sendto, addr, endpoint
        return moved

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
