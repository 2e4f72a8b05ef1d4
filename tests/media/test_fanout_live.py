"""Encode once, fan out to real aiortc listeners on 127.0.0.1."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.dsp import FRAME_SAMPLES
from app.dsp.analysis import peak_frequency
from app.dsp.signals import ToneSource
from app.media.ice import LOOPBACK_ONLY
from app.media.opus import OpusEncoder
from app.media.server.fanout import FanoutStream
from app.media.server.rtp_clock import RtpClock
from app.media.server.ticker import Ticker
from app.media.server.udp_mux import UdpMux
from tests.media.live import Attached, attach_to_stream, wait_for_frames


class ToneBroadcast:
    """A 440 Hz tone, encoded once per tick, sent to one fan-out stream whose
    listeners share one media socket."""

    def __init__(self) -> None:
        self.clock = RtpClock()
        self.mux = UdpMux.open(LOOPBACK_ONLY.host_addresses)
        self.stream = FanoutStream(self.clock, "audience")
        self.encoder = OpusEncoder()
        self.source = ToneSource(440.0)
        self.encodes = 0
        self.ticker = Ticker(self.tick)

    def tick(self) -> None:
        self.clock.advance()
        self.encodes += 1
        self.stream.send(self.encoder.encode(self.source.next_frame()))


@pytest.fixture
async def broadcast() -> AsyncIterator[ToneBroadcast]:
    b = ToneBroadcast()
    b.ticker.start()
    yield b
    await b.ticker.stop()
    await b.mux.close()


async def test_three_listeners_hear_one_encoding(broadcast: ToneBroadcast) -> None:
    peers: list[Attached] = []
    try:
        for _ in range(3):
            peers.append(
                await attach_to_stream(broadcast.stream, broadcast.clock.ssrc, broadcast.mux)
            )
        listeners = [p.listener for p in peers]
        await wait_for_frames(listeners, 10)  # past jitter-buffer start-up
        for lst in listeners:
            lst.recorder.clear()
        encodes_before = broadcast.encodes
        deliveries_before = broadcast.stream.deliveries
        await wait_for_frames(listeners, 50)

        for lst in listeners:
            assert peak_frequency(lst.recorder.samples()) == pytest.approx(440.0, abs=3.0)
        # One encode per tick, three deliveries per encode.
        ticks = broadcast.encodes - encodes_before
        assert broadcast.stream.deliveries - deliveries_before == 3 * ticks
        assert broadcast.stream.send_errors == 0
    finally:
        for p in peers:
            await p.close()


async def test_answer_announces_shared_ssrc_and_only_opus(broadcast: ToneBroadcast) -> None:
    peer = await attach_to_stream(broadcast.stream, broadcast.clock.ssrc, broadcast.mux)
    try:
        answer = peer.server.pc.localDescription.sdp
        assert f"a=ssrc:{broadcast.clock.ssrc} " in answer
        rtpmaps = [line for line in answer.splitlines() if line.startswith("a=rtpmap:")]
        assert len(rtpmaps) == 1 and "opus/48000/2" in rtpmaps[0]
        assert "a=sendonly" in answer
        candidates = [line for line in answer.splitlines() if line.startswith("a=candidate:")]
        assert candidates and all(" 127.0.0.1 " in c for c in candidates)
    finally:
        await peer.close()


async def test_detached_listener_stops_without_disturbing_others(
    broadcast: ToneBroadcast,
) -> None:
    peers = [
        await attach_to_stream(broadcast.stream, broadcast.clock.ssrc, broadcast.mux)
        for _ in range(3)
    ]
    kept = [peers[0].listener, peers[2].listener]
    gone = peers[1]
    try:
        await wait_for_frames([p.listener for p in peers], 10)
        broadcast.stream.remove(gone.sink)
        assert len(broadcast.stream) == 2
        for lst in [*kept, gone.listener]:
            lst.recorder.clear()
        await wait_for_frames([*kept, gone.listener], 40)
        # The playout clock keeps running: a few frames drain or fade out, then silence.
        tail = gone.listener.recorder.samples()[8 * FRAME_SAMPLES :]
        assert len(tail) > 0 and not tail.any()
        for lst in kept:
            assert peak_frequency(lst.recorder.samples()) == pytest.approx(440.0, abs=3.0)
    finally:
        for p in peers:
            await p.close()


async def test_sink_reports_close_when_peer_connection_closes(
    broadcast: ToneBroadcast,
) -> None:
    peer = await attach_to_stream(broadcast.stream, broadcast.clock.ssrc, broadcast.mux)
    closed = asyncio.Event()
    peer.sink.on_closed = lambda sink: closed.set()
    try:
        await wait_for_frames([peer.listener], 5)
        await peer.server.close()
        async with asyncio.timeout(5):
            await closed.wait()
        assert peer.sink.closed
    finally:
        await peer.close()
