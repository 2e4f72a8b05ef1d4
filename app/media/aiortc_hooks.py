"""Every private name of aiortc and aioice that the media plane touches, in one place.

aiortc owns aioice here (each RTCIceGatherer makes one aioice Connection),
so both libraries' internals are declared together. The rest of app/media
calls the small functions below and never reaches into either library;
`check` verifies at start (app.selftest, panggung-server) that the installed
versions still have every name, so an upgrade that moved one fails with
"aiortc 1.17.0 is not supported: missing RTCRtpSender._ssrc" instead of a
room that silently stops sending. docs/media.md ("Upgrading aiortc/aioice")
says what each hook is for and which tests exercise it.

aiortc 1.16:
- ``RTCRtpSender._ssrc``, ``RTCRtpReceiver._set_rtcp_ssrc``: announce the
  room's shared SSRC in the SDP.
- ``RTCRtpSender._send_rtcp``: instance override, so the sender reports
  describe the stream we really send.
- ``RTCRtpTransceiver._codecs``: the negotiated codecs (payload type; an
  answer narrowed to Opus).
- ``RTCRtpReceiver._handle_rtp_packet``: instance override, packets before
  aiortc's jitter buffer (rtp_tap).
- ``RTCDtlsTransport._tx_srtp`` / ``_rx_srtp``: the pylibsrtp sessions keyed
  by this peer's DTLS handshake; ``_rtp_router.receivers``: who a bundle
  routes to; ``_handle_rtp_data``: instance override (counting listeners).
- ``RTCIceTransport._connection``, ``RTCIceGatherer._connection``: the
  aioice Connection.

aioice 0.13:
- ``Connection._nominated``: the candidate pair carrying media (its
  DatagramTransport and remote address).
- ``Connection.data_received``: instance override, the receive fast path.
- ``Connection.get_component_candidates``: instance override, the
  addresses host candidates are gathered on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from typing import Any

import aioice
from aiortc import (
    RTCConfiguration,
    RTCDtlsTransport,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
)
from aiortc.rtcdtlstransport import RtpRouter

from app.hookcheck import Hook, hook, require

AIORTC_WRITTEN_FOR = "1.16"
AIOICE_WRITTEN_FOR = "0.13"

DatagramHandler = Callable[[bytes, int], None]
"""aioice's ``Connection.data_received(data, component)``."""
SendTo = Callable[[bytes, Any], None]

# Every private (or instance-overridden) name the functions below touch; `check`
# verifies each, and tests/test_architecture.py keeps the rest of app/ off them.
TOUCHED = frozenset(
    {
        "_ssrc",
        "_set_rtcp_ssrc",
        "_send_rtcp",
        "_codecs",
        "_handle_rtp_packet",
        "_handle_rtp_data",
        "_tx_srtp",
        "_rx_srtp",
        "_rtp_router",
        "receivers",
        "_connection",
        "_nominated",
        "data_received",
        "get_component_candidates",
    }
)

_RESTRICTED = "_panggung_host_addresses"  # our own mark on a Connection already narrowed


# -- senders and transceivers ---------------------------------------------


def announce_ssrc(transceiver: RTCRtpTransceiver, ssrc: int) -> None:
    """Make the SDP announce ``ssrc`` for this transceiver's sender (call before the SDP)."""
    transceiver.sender._ssrc = ssrc
    transceiver.receiver._set_rtcp_ssrc(ssrc)


def sender_ssrc(sender: RTCRtpSender) -> int:
    return int(sender._ssrc)


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[Any]:
    """The codecs agreed for ``transceiver`` (empty before offer/answer)."""
    return list(transceiver._codecs)


def narrow_negotiated_codecs(transceiver: RTCRtpTransceiver, codecs: list[Any]) -> None:
    """An answerer's negotiated list is fixed by the offer; narrow it (e.g. to Opus)."""
    transceiver._codecs = codecs


def wrap_sender_rtcp(
    sender: RTCRtpSender, rewrite: Callable[[list[Any]], Awaitable[list[Any]]]
) -> None:
    """Pass every RTCP batch aiortc's sender emits through ``rewrite`` before it is sent."""
    original = sender._send_rtcp

    async def send_rtcp(packets: list[Any]) -> None:
        await original(await rewrite(packets))

    setattr(sender, "_send_rtcp", send_rtcp)  # noqa: B010 - instance override of a method


# -- receivers ------------------------------------------------------------


def divert_rtp_packets(
    receiver: RTCRtpReceiver, handler: Callable[[Any, int], Awaitable[None]]
) -> None:
    """Hand ``receiver``'s parsed RTP packets to ``handler(packet, arrival_time_ms)``
    instead of its jitter buffer."""
    setattr(receiver, "_handle_rtp_packet", handler)  # noqa: B010 - instance override


def divert_rtp_data(
    dtls: RTCDtlsTransport, handler: Callable[[bytes, int], Awaitable[None]]
) -> None:
    """Hand every decrypted RTP packet of ``dtls`` to ``handler(data, arrival_time_ms)``
    unparsed (benchmark listeners that only count)."""
    setattr(dtls, "_handle_rtp_data", handler)  # noqa: B010 - instance override


# -- DTLS and SRTP ----------------------------------------------------------


def outbound_srtp(dtls: RTCDtlsTransport) -> Any:
    """This peer's outbound pylibsrtp Session (None before DTLS connected)."""
    return dtls._tx_srtp


def inbound_srtp(dtls: RTCDtlsTransport) -> Any:
    """This peer's inbound pylibsrtp Session (None before DTLS connected)."""
    return dtls._rx_srtp


def routed_receivers(dtls: RTCDtlsTransport) -> list[Any]:
    """The RTP receivers the transport routes to (more than one: a bundle)."""
    return list(dtls._rtp_router.receivers)


def routes_only(dtls: RTCDtlsTransport, receiver: RTCRtpReceiver) -> bool:
    """Whether ``receiver`` is the one receiver the transport routes to (cheap; per packet)."""
    receivers = dtls._rtp_router.receivers
    return len(receivers) == 1 and receiver in receivers


# -- ICE --------------------------------------------------------------------


def ice_connection(dtls: RTCDtlsTransport) -> Any:
    """The aioice Connection under ``dtls`` (None if there is none)."""
    ice = getattr(dtls, "transport", None)
    return getattr(ice, "_connection", None)


def nominated_route(connection: Any, component: int = 1) -> tuple[SendTo, Any] | None:
    """(sendto of the socket, remote address) of the pair carrying media; None if none."""
    pair = connection._nominated.get(component)
    if pair is None:
        return None
    return pair.protocol.transport.sendto, pair.remote_addr


def divert_datagrams(connection: Any, handler: DatagramHandler) -> DatagramHandler:
    """Route every non-STUN datagram of ``connection`` to ``handler``; returns aioice's
    own handler (to pass on what the handler does not take)."""
    original: DatagramHandler = connection.data_received
    setattr(connection, "data_received", handler)  # noqa: B010 - instance override
    return original


def gatherer_connections(pc: RTCPeerConnection) -> list[Any]:
    """The aioice Connections of every transport of ``pc`` (media and data channel)."""
    gatherers = {t.sender.transport.transport.iceGatherer for t in pc.getTransceivers()}
    if pc.sctp is not None:
        gatherers.add(pc.sctp.transport.transport.iceGatherer)
    return [g._connection for g in gatherers]


def restrict_host_addresses(connection: Any, addresses: Sequence[str]) -> None:
    """Gather host candidates of ``connection`` on ``addresses`` only (idempotent).

    Connection.gather_candidates() passes its interface list to
    get_component_candidates(); replacing that list on this one instance is
    the narrowest override aioice allows (no global patch).
    """
    if getattr(connection, _RESTRICTED, None) is not None:
        return
    original = connection.get_component_candidates
    wanted = list(addresses)

    async def get_component_candidates(component: int, addresses: list[str], **kw: Any) -> Any:
        return await original(component=component, addresses=wanted, **kw)

    connection.get_component_candidates = get_component_candidates
    setattr(connection, _RESTRICTED, tuple(wanted))


# -- the start-up check -----------------------------------------------------


def _throwaway_transceiver() -> RTCRtpTransceiver:
    """Built offline: no gathering, no sockets, nothing to close."""

    def build() -> RTCRtpTransceiver:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        return pc.addTransceiver("audio", direction="sendrecv")

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # aiortc's constructors make futures: give them a loop
        pass
    else:
        return build()
    loop = asyncio.new_event_loop()  # never run: asyncio.run needs what a test may remove
    try:
        asyncio.set_event_loop(loop)
        return build()
    finally:
        asyncio.set_event_loop(None)  # as asyncio.run leaves it
        loop.close()


def aiortc_hooks(transceiver: RTCRtpTransceiver) -> list[Hook]:
    dtls = transceiver.sender.transport
    return [
        hook(RTCRtpSender, "_send_rtcp"),
        hook(transceiver.sender, "_ssrc"),
        hook(RTCRtpReceiver, "_set_rtcp_ssrc"),
        hook(RTCRtpReceiver, "_handle_rtp_packet"),
        hook(transceiver, "_codecs"),
        hook(RTCDtlsTransport, "_handle_rtp_data"),
        hook(dtls, "_tx_srtp"),
        hook(dtls, "_rx_srtp"),
        hook(dtls, "_rtp_router"),
        hook(RtpRouter(), "receivers"),
        hook(dtls.transport, "_connection"),
        hook(dtls.transport.iceGatherer, "_connection"),
    ]


def aioice_hooks(connection: Any) -> list[Hook]:
    return [
        hook(connection, "_nominated"),
        hook(aioice.Connection, "data_received"),
        hook(aioice.Connection, "get_component_candidates"),
    ]


def check() -> str:
    """Raise UnsupportedLibrary naming what is missing; else one line per library."""
    transceiver = _throwaway_transceiver()
    aiortc_summary = require(
        "aiortc", version("aiortc"), AIORTC_WRITTEN_FOR, aiortc_hooks(transceiver)
    )
    connection = transceiver.sender.transport.transport.iceGatherer._connection
    aioice_summary = require(
        "aioice", version("aioice"), AIOICE_WRITTEN_FOR, aioice_hooks(connection)
    )
    return f"{aiortc_summary}; {aioice_summary}"
