"""Real aiortc listeners on one shared media socket: ICE demultiplexing, SRTP
profile, batched sender reports, consent on the wheel."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from app.dsp.analysis import peak_frequency
from app.dsp.signals import ToneSource
from app.media import aiortc_hooks as hooks
from app.media.ice import LOOPBACK_ONLY
from app.media.opus import OpusEncoder
from app.media.server.batch import SendBatch
from app.media.server.consent import ConsentWheel
from app.media.server.fanout import FanoutStream
from app.media.server.fast_sender import SRTP_PROFILES
from app.media.server.peer import ServerPeer
from app.media.server.rtp_clock import RtpClock
from app.media.server.ticker import Ticker
from app.media.server.udp_mux import UdpMux
from tests.media.live import TIMEOUT, Attached, Listener, wait_for_frames


class Room:
    """A tone to one stream; listeners on one shared socket."""

    def __init__(self, report_every: int = 50) -> None:
        self.clock = RtpClock()
        self.mux = UdpMux.open(LOOPBACK_ONLY.host_addresses)
        self.stream = FanoutStream(self.clock, "audience", report_every=report_every)
        self.encoder = OpusEncoder()
        self.source = ToneSource(440.0)
        self.ticker = Ticker(self.tick)
        self.peers: list[Attached] = []

    def tick(self) -> None:
        self.clock.advance()
        self.stream.send(self.encoder.encode(self.source.next_frame()))

    async def attach(self, srtp_profiles: tuple[str, ...] = SRTP_PROFILES) -> Attached:
        server = ServerPeer(
            LOOPBACK_ONLY, self.clock.ssrc, mux=self.mux, srtp_profiles=srtp_profiles
        )
        listener = await Listener.connect(server.accept)
        async with asyncio.timeout(TIMEOUT):
            sink = await server.connected()
        sink.on_closed = self.stream.remove
        self.stream.add(sink)
        attached = Attached(server, sink, listener)
        self.peers.append(attached)
        return attached

    async def close(self) -> None:
        await self.ticker.stop()
        for peer in self.peers:
            await peer.close()
        await self.mux.close()


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    r = Room(report_every=10)
    r.ticker.start()
    yield r
    await r.close()


async def test_listeners_share_one_socket_and_hear_the_tone(room: Room) -> None:
    peers = [await room.attach() for _ in range(3)]
    (endpoint,) = room.mux.endpoints
    for peer in peers:
        assert peer.sink.endpoint is endpoint
        answer = peer.server.pc.localDescription.sdp
        candidates = [line for line in answer.splitlines() if line.startswith("a=candidate:")]
        assert candidates and all(f" {endpoint.local_address[1]} typ host" in c for c in candidates)
    (group,) = room.stream.groups()
    assert isinstance(group, SendBatch) and group.batched and len(group) == 3
    listeners = [p.listener for p in peers]
    await wait_for_frames(listeners, 10)
    for lst in listeners:
        lst.recorder.clear()
    await wait_for_frames(listeners, 50)
    for lst in listeners:
        assert peak_frequency(lst.recorder.samples()) == pytest.approx(440.0, abs=3.0)
    assert endpoint.connections == 3


async def test_the_cheapest_srtp_profile_is_negotiated(room: Room) -> None:
    # aiortc listeners offer AES-256-GCM, AES-128-GCM and AES-CM; we offer the
    # last two only, and the listener (the DTLS server) picks AES-128-GCM.
    gcm = await room.attach()
    assert gcm.sink.srtp_profile == "SRTP_AEAD_AES_128_GCM"
    assert "SRTP_AEAD_AES_128_GCM" in hooks.supported_srtp_profiles()
    cm = await room.attach(srtp_profiles=("SRTP_AES128_CM_SHA1_80",))
    assert cm.sink.srtp_profile == "SRTP_AES128_CM_SHA1_80"
    await wait_for_frames([gcm.listener, cm.listener], 20)
    assert len(room.stream) == 2 and room.stream.send_errors == 0


async def test_listeners_get_sender_reports_from_the_batch(room: Room) -> None:
    peer = await room.attach()
    await wait_for_frames([peer.listener], 30)  # report_every=10: a few reports
    (receiver,) = [t.receiver for t in peer.listener.client.pc.getTransceivers()]
    stats = [s for s in (await receiver.getStats()).values() if s.type == "remote-outbound-rtp"]
    assert stats, "no sender report arrived"
    assert stats[0].ssrc == room.clock.ssrc
    assert 0 < stats[0].packetsSent <= room.stream.packets
    assert room.stream.stats.reports >= 3


async def test_a_stray_datagram_is_counted_and_harms_nobody(room: Room) -> None:
    peer = await room.attach()
    (endpoint,) = room.mux.endpoints
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stray:
        stray.bind(("127.0.0.1", 0))
        for data in (b"\x80" * 40, b"\x00\x01" + b"\x00" * 30, b"\x16\xfe\xfd" + b"\x00" * 40):
            stray.sendto(data, endpoint.local_address)
    await wait_for_frames([peer.listener], 20)
    assert endpoint.stats.unrouted >= 3
    assert not peer.sink.closed


async def test_consent_is_checked_on_the_wheel_and_expires_for_a_vanished_listener() -> None:
    room = Room()
    room.mux.consent = ConsentWheel(interval=0.4, slots=4, failures=2)
    room.ticker.start()
    try:
        peer = await room.attach()
        closed = asyncio.Event()
        peer.sink.on_closed = lambda sink: closed.set()
        wheel = room.mux.consent
        assert len(wheel) == 1
        async with asyncio.timeout(TIMEOUT):
            while wheel.stats.answered < 2:  # noqa: ASYNC110 - counters, no event
                await asyncio.sleep(0.05)
        assert wheel.stats.missed == 0 and not closed.is_set()
        # The listener's machine goes away: its socket closes, nothing says goodbye.
        connection = hooks.ice_connection(
            peer.listener.client.pc.getTransceivers()[0].receiver.transport
        )
        hooks.nominated_protocol(connection).transport.close()
        async with asyncio.timeout(TIMEOUT):
            await closed.wait()
        assert wheel.stats.expired == 1 and wheel.stats.missed >= 2
        assert len(wheel) == 0
    finally:
        await room.close()


async def test_each_connection_gets_its_own_long_ufrag(room: Room) -> None:
    peers = [await room.attach() for _ in range(2)]
    ufrags = [
        line.split(":", 1)[1]
        for p in peers
        for line in p.server.pc.localDescription.sdp.splitlines()
        if line.startswith("a=ice-ufrag:")
    ]
    assert len(ufrags) == 2 and len(set(ufrags)) == 2
    assert all(len(u) == 16 for u in ufrags)
    (endpoint,) = room.mux.endpoints
    assert all(endpoint.has_username(u) for u in ufrags)
