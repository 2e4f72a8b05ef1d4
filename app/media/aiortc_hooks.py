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
- ``RTCRtpTransceiver._codecs``: the negotiated codecs (payload type; an
  answer narrowed to Opus).
- ``RTCRtpReceiver._handle_rtp_packet``: instance override, packets before
  aiortc's jitter buffer (rtp_tap).
- ``RTCDtlsTransport._tx_srtp`` / ``_rx_srtp``: the pylibsrtp sessions keyed
  by this peer's DTLS handshake; ``_rtp_router.receivers``: who a bundle
  routes to; ``_handle_rtp_data``: instance override (counting listeners).
- ``RTCIceTransport._connection``, ``RTCIceGatherer._connection``: the
  aioice Connection.

- ``RTCRtpSender._run_rtcp`` / ``RTCRtpReceiver._run_rtcp`` (with their
  ``__rtcp_started`` / ``__rtcp_exited`` events): instance overrides that
  park the per-peer RTCP loops of fan-out peers; the fan-out sends one batch
  of sender reports per stream instead.
- ``RTCPeerConnection.__cname``: one CNAME for the room's shared SSRC.
- ``RTCDtlsTransport._srtp_profiles``: the SRTP profiles offered in DTLS
  (the cheapest first); ``_ssl``: which one was negotiated.

aioice 0.13:
- ``Connection._nominated``: the candidate pair carrying media (its
  DatagramTransport and remote address).
- ``Connection.data_received``: instance override, the receive fast path.
- ``Connection.get_component_candidates``: instance override, the
  addresses host candidates are gathered on, or host candidates on a shared
  UDP port (``StunProtocol`` objects added to ``Connection._protocols``).
- ``Connection._local_username``: a longer ICE ufrag, unique on a shared socket.
- ``Connection._query_consent_task``: aioice's per-connection consent loop,
  replaced by the fan-out's consent wheel (``build_request``,
  ``StunProtocol.transactions``).
- ``Connection._closing``: set when close() starts; aioice then ignores
  incoming checks, and so does our own consent answer (consent_answer).

pylibsrtp 1.0 (aiortc's SRTP binding):
- ``Session._srtp`` and ``pylibsrtp._binding.lib``: libsrtp's in-place
  ``srtp_protect`` / ``srtp_protect_rtcp`` / ``srtp_unprotect`` on our own
  buffers, a packet per listener without a bytes object each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Protocol, TypeVar

import aioice
import aioice.candidate
import aioice.ice
import pylibsrtp
from aiortc import (
    RTCConfiguration,
    RTCDtlsTransport,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
)
from aiortc.rtcdtlstransport import SRTP_PROFILES, RtpRouter

from app.hookcheck import Hook, hook, require

AIORTC_WRITTEN_FOR = "1.16"
AIOICE_WRITTEN_FOR = "0.13"
PYLIBSRTP_WRITTEN_FOR = "1.0"

_SENDER_RTCP_STARTED = "_RTCRtpSender__rtcp_started"
_SENDER_RTCP_EXITED = "_RTCRtpSender__rtcp_exited"
_RECEIVER_RTCP_STARTED = "_RTCRtpReceiver__rtcp_started"
_RECEIVER_RTCP_EXITED = "_RTCRtpReceiver__rtcp_exited"
_PC_CNAME = "_RTCPeerConnection__cname"

DatagramHandler = Callable[[bytes, int], None]
"""aioice's ``Connection.data_received(data, component)``."""
T = TypeVar("T")

# Every private (or instance-overridden) name the functions below touch; `check`
# verifies each, and tests/test_architecture.py keeps the rest of app/ off them.
TOUCHED = frozenset(
    {
        "_ssrc",
        "_set_rtcp_ssrc",
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
        "_run_rtcp",
        _SENDER_RTCP_STARTED,
        _SENDER_RTCP_EXITED,
        _RECEIVER_RTCP_STARTED,
        _RECEIVER_RTCP_EXITED,
        _PC_CNAME,
        "_srtp_profiles",
        "_ssl",
        "_protocols",
        "_query_consent_task",
        "_closing",
        "_local_username",
        "build_request",
        "transactions",
        "StunProtocol",
        "_srtp",
        "_binding",
        "srtp_protect",
        "srtp_protect_rtcp",
        "srtp_unprotect",
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


def park_rtcp_loops(transceiver: RTCRtpTransceiver) -> None:
    """Start neither of aiortc's per-peer RTCP loops for ``transceiver`` (call before
    the answer): the fan-out sends sender reports for all its listeners in one
    batch, and tapped receivers have nothing to report. Each loop would wake
    every 0.5-1.5 s per peer; parked, they wait for ``stop()`` at no cost."""
    for owner, started, exited in (
        (transceiver.sender, _SENDER_RTCP_STARTED, _SENDER_RTCP_EXITED),
        (transceiver.receiver, _RECEIVER_RTCP_STARTED, _RECEIVER_RTCP_EXITED),
    ):
        setattr(owner, "_run_rtcp", _parked(getattr(owner, started), getattr(owner, exited)))  # noqa: B010


def _parked(started: asyncio.Event, exited: asyncio.Event) -> Callable[[], Awaitable[None]]:
    async def run_rtcp() -> None:
        # aiortc's stop() waits for `started`, cancels the task, then waits for `exited`.
        started.set()
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            pass
        finally:
            exited.set()

    return run_rtcp


def set_cname(pc: RTCPeerConnection, cname: str) -> None:
    """The RTCP CNAME that ``pc``'s SDP announces (call before the offer/answer)."""
    setattr(pc, _PC_CNAME, cname)


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


def offer_srtp_profiles(dtls: RTCDtlsTransport, names: Sequence[str]) -> None:
    """Offer only these SRTP profiles (OpenSSL names, in this order) in ``dtls``'s
    handshake; the DTLS server picks by its own preference among them."""
    wanted = [p for name in names for p in SRTP_PROFILES if p.openssl_profile == name.encode()]
    if not wanted:
        raise ValueError(f"none of {list(names)} is supported by this aiortc/libsrtp")
    dtls._srtp_profiles = wanted


def supported_srtp_profiles() -> list[str]:
    """OpenSSL names of the SRTP profiles aiortc (with this libsrtp) can use."""
    return [p.openssl_profile.decode() for p in SRTP_PROFILES]


def negotiated_srtp_profile(dtls: RTCDtlsTransport) -> str | None:
    """The SRTP profile ``dtls``'s handshake agreed on (None before it finished)."""
    ssl = dtls._ssl
    if ssl is None or dtls.state != "connected":
        return None
    profile = ssl.get_selected_srtp_profile()
    return profile.decode() if profile else None


# -- libsrtp through pylibsrtp's binding -------------------------------------


@dataclass(frozen=True)
class SrtpCalls:
    """libsrtp's in-place calls: ``f(context, buffer, length_pointer) -> status``.

    The buffer needs room for the trailer (``RTP_TRAILER`` / ``RTCP_TRAILER``
    bytes after the packet); ``length_pointer`` holds the packet's length on
    entry and the protected one on return. Status 0 is success.
    """

    ffi: Any
    protect: Callable[[Any, Any, Any], int]
    protect_rtcp: Callable[[Any, Any, Any], int]
    unprotect: Callable[[Any, Any, Any], int]


RTP_TRAILER = pylibsrtp.SRTP_MAX_TRAILER_LEN
RTCP_TRAILER = pylibsrtp.SRTP_MAX_SRTCP_TRAILER_LEN


def srtp_calls() -> SrtpCalls:
    binding: Any = pylibsrtp._binding  # imported by pylibsrtp itself
    lib = binding.lib
    return SrtpCalls(binding.ffi, lib.srtp_protect, lib.srtp_protect_rtcp, lib.srtp_unprotect)


def srtp_context(session: pylibsrtp.Session) -> Any:
    """The libsrtp context of a pylibsrtp Session, for `SrtpCalls`. Keep ``session``
    referenced while the context is in use: it frees the context when collected."""
    return session._srtp[0]


# -- ICE --------------------------------------------------------------------


def ice_connection(dtls: RTCDtlsTransport) -> Any:
    """The aioice Connection under ``dtls`` (None if there is none)."""
    ice = getattr(dtls, "transport", None)
    return getattr(ice, "_connection", None)


def nominated_route(connection: Any, component: int = 1) -> tuple[Any, tuple[str, int]] | None:
    """(the DatagramTransport, the remote address) of the pair carrying media; None if none."""
    pair = connection._nominated.get(component)
    if pair is None:
        return None
    return pair.protocol.transport, pair.remote_addr


def nominated_protocol(connection: Any, component: int = 1) -> Any:
    """aioice's StunProtocol of the pair carrying media (None if none): its
    ``transport`` is the socket, its ``datagram_received`` aioice's receive path."""
    pair = connection._nominated.get(component)
    return None if pair is None else pair.protocol


def host_addresses() -> list[str]:
    """aioice's default: every non-loopback address of this host (IPv4 and IPv6)."""
    return list(aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True))


class SharedSocket(Protocol):
    """A UDP socket many ICE connections share (app.media.server.udp_mux)."""

    @property
    def local_address(self) -> tuple[str, int]: ...

    def attach(self, protocol: asyncio.DatagramProtocol, username: str) -> Any:
        """A DatagramTransport for ``protocol``; STUN requests for ``username`` (our
        ICE ufrag) and datagrams from the addresses it talks to go to it."""
        ...


def gather_on_shared_sockets(connection: Any, sockets: Sequence[SharedSocket]) -> None:
    """Make ``connection``'s host candidates the shared ``sockets`` (call before
    gathering). aioice keeps doing ICE (checks, nomination, consent answers)
    through a StunProtocol of its own on each; TURN relays, if configured,
    still get their own sockets."""
    original = connection.get_component_candidates

    async def get_component_candidates(component: int, addresses: list[str], **kw: Any) -> Any:
        candidates = []
        for shared in sockets:
            host, port = shared.local_address
            protocol = aioice.ice.StunProtocol(connection)
            protocol.local_candidate = aioice.Candidate(
                foundation=aioice.candidate.candidate_foundation("host", "udp", host),
                component=component,
                transport="udp",
                priority=aioice.candidate.candidate_priority(component, "host"),
                host=host,
                port=port,
                type="host",
            )
            protocol.connection_made(shared.attach(protocol, connection.local_username))
            connection._protocols.append(protocol)
            candidates.append(protocol.local_candidate)
        return candidates + await original(component=component, addresses=[], **kw)

    connection.get_component_candidates = get_component_candidates


def set_local_username(connection: Any, username: str) -> None:
    """Give ``connection`` this ICE ufrag (before the offer/answer carries it): on a
    shared socket STUN requests are routed by ufrag, and aioice's own are only 4
    characters (a collision in a few thousand connections is likely)."""
    connection._local_username = username


def stop_consent_loop(connection: Any) -> None:
    """Stop aioice's consent task for ``connection`` (a task per peer, waking every
    ~5 s); app.media.server.consent checks consent for all peers on one wheel."""
    task = connection._query_consent_task
    connection._query_consent_task = None
    if task is not None:
        task.cancel()


def ice_closing(connection: Any) -> bool:
    """Whether ``connection`` is closing or closed (cheap; per consent check)."""
    return bool(connection._closing)


@dataclass(frozen=True)
class ConsentRequest:
    protocol: Any  # the StunProtocol the pair sends on
    addr: tuple[str, int]
    transaction_id: bytes
    data: bytes
    key: bytes  # the response must carry MESSAGE-INTEGRITY with it


def consent_request(connection: Any) -> ConsentRequest | None:
    """A STUN Binding request for ``connection``'s media pair, as aioice's consent
    loop builds it (RFC 7675); None if the connection has no pair."""
    pair = connection._nominated.get(1)
    password = connection.remote_password
    if pair is None or password is None:
        return None
    request = connection.build_request(pair, nominate=False)
    key = password.encode("utf8")
    request.add_message_integrity(key)
    return ConsentRequest(
        pair.protocol, pair.remote_addr, request.transaction_id, bytes(request), key
    )


class ResponseWaiter(Protocol):
    def response_received(self, message: Any, addr: tuple[str, int]) -> None: ...


def expect_response(protocol: Any, transaction_id: bytes, waiter: ResponseWaiter) -> None:
    """aioice hands the STUN response with this transaction id to ``waiter``."""
    protocol.transactions[transaction_id] = waiter


def response_waiter(protocol: Any, transaction_id: bytes) -> Any:
    """Who waits for the STUN response with this transaction id (None: nobody)."""
    return protocol.transactions.get(transaction_id)


def forget_response(protocol: Any, transaction_id: bytes) -> None:
    protocol.transactions.pop(transaction_id, None)


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


def _in_a_loop(build: Callable[[], T]) -> T:
    """Run ``build`` with an event loop set: aiortc's and aioice's constructors make
    futures. Inside a running loop, at once; else with a loop that never runs
    (asyncio.run itself needs what a test may have removed)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return build()
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return build()
    finally:
        asyncio.set_event_loop(None)  # as asyncio.run leaves it
        loop.close()


def throwaway() -> tuple[RTCPeerConnection, RTCRtpTransceiver]:
    """A peer connection and transceiver built offline: no gathering, no sockets."""

    def build() -> tuple[RTCPeerConnection, RTCRtpTransceiver]:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        return pc, pc.addTransceiver("audio", direction="sendrecv")

    return _in_a_loop(build)


def aiortc_hooks(pc: RTCPeerConnection, transceiver: RTCRtpTransceiver) -> list[Hook]:
    dtls = transceiver.sender.transport
    return [
        hook(RTCRtpSender, "_run_rtcp"),
        hook(transceiver.sender, "_ssrc"),
        hook(transceiver.sender, _SENDER_RTCP_STARTED),
        hook(transceiver.sender, _SENDER_RTCP_EXITED),
        hook(RTCRtpReceiver, "_set_rtcp_ssrc"),
        hook(RTCRtpReceiver, "_handle_rtp_packet"),
        hook(RTCRtpReceiver, "_run_rtcp"),
        hook(transceiver.receiver, _RECEIVER_RTCP_STARTED),
        hook(transceiver.receiver, _RECEIVER_RTCP_EXITED),
        hook(transceiver, "_codecs"),
        hook(pc, _PC_CNAME),
        hook(RTCDtlsTransport, "_handle_rtp_data"),
        hook(dtls, "_tx_srtp"),
        hook(dtls, "_rx_srtp"),
        hook(dtls, "_rtp_router"),
        hook(dtls, "_srtp_profiles"),
        hook(dtls, "_ssl"),
        hook(RtpRouter(), "receivers"),
        hook(dtls.transport, "_connection"),
        hook(dtls.transport.iceGatherer, "_connection"),
    ]


def aioice_hooks(connection: Any) -> list[Hook]:
    protocol = _in_a_loop(lambda: aioice.ice.StunProtocol(connection))
    return [
        hook(connection, "_nominated"),
        hook(connection, "_protocols"),
        hook(connection, "_query_consent_task"),
        hook(connection, "_closing"),
        hook(connection, "_local_username"),
        hook(aioice.Connection, "build_request"),
        hook(aioice.Connection, "data_received"),
        hook(aioice.Connection, "get_component_candidates"),
        hook(aioice.ice, "StunProtocol"),
        Hook(protocol, "transactions", "StunProtocol.transactions"),
    ]


def pylibsrtp_hooks() -> list[Hook]:
    lib = getattr(getattr(pylibsrtp, "_binding", None), "lib", None)
    return [
        hook(pylibsrtp, "_binding"),
        Hook(pylibsrtp.Session(), "_srtp", "Session._srtp"),
        *(Hook(lib, name, f"_binding.lib.{name}") for name in _SRTP_CALLS),
    ]


_SRTP_CALLS = ("srtp_protect", "srtp_protect_rtcp", "srtp_unprotect")


def check() -> str:
    """Raise UnsupportedLibrary naming what is missing; else one line per library."""
    pc, transceiver = throwaway()
    aiortc_summary = require(
        "aiortc", version("aiortc"), AIORTC_WRITTEN_FOR, aiortc_hooks(pc, transceiver)
    )
    connection = ice_connection(transceiver.sender.transport)
    aioice_summary = require(
        "aioice", version("aioice"), AIOICE_WRITTEN_FOR, aioice_hooks(connection)
    )
    srtp_summary = require(
        "pylibsrtp", version("pylibsrtp"), PYLIBSRTP_WRITTEN_FOR, pylibsrtp_hooks()
    )
    return f"{aiortc_summary}; {aioice_summary}; {srtp_summary}"
