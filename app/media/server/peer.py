"""The server end of one participant's peer connection (offer in, answer out)."""

from __future__ import annotations

import asyncio
import logging

from aiortc import MediaStreamTrack, RTCRtpTransceiver, RTCSessionDescription

from app.media import aiortc_hooks as hooks
from app.media.ice import IceSettings, apply_ice_settings, new_peer_connection
from app.media.rtp_tap import PacketHandler, RtpPacketLike, TapStats, tap_rtp
from app.media.server.fanout import DEFAULT_CNAME
from app.media.server.fast_sender import SRTP_PROFILES, SrtpSink, prepare_send_transceiver
from app.media.server.sdp import without_mdns_candidates
from app.media.server.udp_mux import UdpMux

logger = logging.getLogger(__name__)


class ServerPeer:
    """Accepts a client's offer with one audio m-line and sends on it via the fast path.

    The client decides whether it also sends (a ``sendrecv`` offer, for
    stage members): its RTP packets go to ``on_packet`` (before aiortc's
    jitter buffer, see ``rtp_tap``); ``incoming`` is aiortc's track for it,
    which then stays silent. Whether that audio is ever heard is the room's
    decision, not the client's.

    ``mux``: the media server's shared sockets; the peer's ICE candidates are
    on them, its consent checks go on their wheel and its peer's are answered
    there (without one, aioice opens a socket for this peer alone, on
    ``settings.host_addresses``).
    """

    def __init__(
        self,
        settings: IceSettings,
        ssrc: int,
        on_packet: PacketHandler | None = None,
        *,
        mux: UdpMux | None = None,
        cname: str = DEFAULT_CNAME,
        srtp_profiles: tuple[str, ...] = SRTP_PROFILES,
    ) -> None:
        self.pc = new_peer_connection(settings)
        hooks.set_cname(self.pc, cname)
        self._settings = settings
        self._mux = mux
        self._srtp_profiles = srtp_profiles
        self._ssrc = ssrc
        self._transceiver: RTCRtpTransceiver | None = None
        self._connected = asyncio.Event()
        self._failed = asyncio.Event()
        self.incoming: MediaStreamTrack | None = None
        self._on_packet = on_packet
        self.packets_in = 0
        self.tap: TapStats | None = None  # how received packets reached the mixer
        self.pc.on("connectionstatechange", self._on_state)
        self.pc.on("track", self._on_track)

    async def accept(self, offer_sdp: str) -> str:
        """Apply the client's offer; return the answer SDP (all candidates included)."""
        offer = without_mdns_candidates(offer_sdp)  # browsers: see sdp.py
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        audio = [t for t in self.pc.getTransceivers() if t.kind == "audio"]
        if len(audio) != 1:
            raise ValueError(f"expected one audio m-line, got {len(audio)}")
        self._transceiver = audio[0]
        prepare_send_transceiver(self._transceiver, self._ssrc, self._srtp_profiles)
        if self._on_packet is not None:
            self.tap = tap_rtp(self._transceiver, self._count_packet)
        if self._mux is not None:
            for connection in hooks.gatherer_connections(self.pc):
                hooks.set_local_username(connection, self._mux.new_username())
                hooks.gather_on_shared_sockets(connection, self._mux.endpoints)
        else:
            apply_ice_settings(self.pc, self._settings)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    async def connected(self) -> SrtpSink:
        """Wait for ICE + DTLS, then return this peer's fast-path sink.

        Raises ConnectionError if the connection fails; bound the wait with
        ``asyncio.timeout``.
        """
        waiters = [asyncio.ensure_future(e.wait()) for e in (self._connected, self._failed)]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
        if not self._connected.is_set() or self._transceiver is None:
            raise ConnectionError(f"peer did not connect ({self.pc.connectionState})")
        sink = SrtpSink(self._transceiver)
        if self._mux is not None and sink.ice_connection is not None:
            # A listener's offer was recvonly (ours is then sendonly): it sends no
            # media, so nothing reads its RTCP receiver reports; a speaker's go on.
            sends_nothing = self._transceiver.currentDirection == "sendonly"
            self._mux.take_over(sink.ice_connection, drop_rtcp=sends_nothing)
        return sink

    async def close(self) -> None:
        if self._mux is not None and self._transceiver is not None:
            connection = hooks.ice_connection(self._transceiver.sender.transport)
            if connection is not None:
                self._mux.release(connection)
        await self.pc.close()

    def _count_packet(self, packet: RtpPacketLike, arrival: float) -> None:
        self.packets_in += 1
        if self._on_packet is not None:
            self._on_packet(packet, arrival)

    def _on_state(self) -> None:
        state = self.pc.connectionState
        if state == "connected":
            self._connected.set()
        elif state in ("failed", "closed"):
            self._failed.set()

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self.incoming = track
