"""Consent and RTCP on the shared socket with real aiortc peers: our own answers
keep a listener connected, expiry still happens, a speaker's RTCP still reaches
aiortc while a listener's receiver reports are dropped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aioice.ice
import pytest

from app.dsp.signals import ToneSource
from app.media import aiortc_hooks as hooks
from app.media.client.peer import ClientPeer
from app.media.client.tracks import PcmSourceTrack
from app.media.ice import LOOPBACK_ONLY
from app.media.server.consent import ConsentWheel
from app.media.server.peer import ServerPeer
from tests.media.live import TIMEOUT, wait_for_frames
from tests.media.test_mux_live import Room

LISTENER_CONSENT_INTERVAL = 0.1  # the listener's aioice checks this often...
LISTENER_CONSENT_FAILURES = 3  # ...and gives up after this many unanswered (~0.3 s)


async def until(condition: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(TIMEOUT):
            while not condition():  # noqa: ASYNC110 - counters and states, no event
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"no {what}") from None


def server_ice(server: ServerPeer) -> Any:
    return hooks.gatherer_connections(server.pc)[0]


def listener_ice(client: ClientPeer) -> Any:
    return hooks.ice_connection(client.pc.getTransceivers()[0].receiver.transport)


@pytest.fixture
def quick_listener_consent(monkeypatch: pytest.MonkeyPatch) -> None:
    """aioice's consent loop on the listener side: seconds become a tenth."""
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", LISTENER_CONSENT_INTERVAL)
    monkeypatch.setattr(aioice.ice, "CONSENT_FAILURES", LISTENER_CONSENT_FAILURES)


async def test_a_listener_stays_connected_on_our_answers_alone(
    quick_listener_consent: None,
) -> None:
    room = Room()
    room.ticker.start()
    try:
        peer = await room.attach()
        (endpoint,) = room.mux.endpoints
        # aioice on the server may no longer answer: only the fast path can.
        ignored: list[Any] = []
        ice = server_ice(peer.server)
        ice.request_received = lambda message, addr, protocol: ignored.append(message)
        answered = endpoint.stats.consent_answered
        # Many times the listener's consent timeout (~0.3 s), media flowing.
        await asyncio.sleep(20 * LISTENER_CONSENT_INTERVAL * LISTENER_CONSENT_FAILURES)
        await wait_for_frames([peer.listener], 10)
        assert peer.listener.client.pc.connectionState == "connected"
        assert endpoint.stats.consent_answered - answered >= 20
        assert ignored == []
        # Without our answers (and aioice still muted) the listener's consent expires:
        # it was our answers that kept it.
        answerer = endpoint.answering(peer.sink.addr)
        assert answerer is not None
        endpoint.stop_answering(answerer)
        await until(
            lambda: peer.listener.client.pc.connectionState in ("failed", "closed"),
            "expiry at the listener",
        )
        assert ignored, "the listener's checks went to aioice once we stopped answering"
    finally:
        await room.close()


async def test_our_checks_are_verified_on_the_socket_and_expire_for_a_vanished_listener() -> None:
    room = Room()
    room.mux.consent = ConsentWheel(interval=0.4, slots=4, failures=2)
    room.ticker.start()
    try:
        peer = await room.attach()
        (endpoint,) = room.mux.endpoints
        addr = peer.sink.addr
        assert endpoint.answering(addr) is not None
        closed = asyncio.Event()
        peer.sink.on_closed = lambda sink: closed.set()
        wheel = room.mux.consent
        await until(lambda: endpoint.stats.consent_responses >= 2, "verified responses")
        assert wheel.stats.answered >= 2 and wheel.stats.missed == 0
        # The listener's machine goes away: its socket closes, nothing says goodbye.
        hooks.nominated_protocol(listener_ice(peer.listener.client)).transport.close()
        async with asyncio.timeout(TIMEOUT):
            await closed.wait()
        assert wheel.stats.expired == 1 and len(wheel) == 0
        assert endpoint.answering(addr) is None  # its ICE connection closed
    finally:
        await room.close()


async def connect(
    room: Room, source: PcmSourceTrack | None
) -> tuple[ServerPeer, ClientPeer, Callable[[], Awaitable[list[str]]]]:
    """A peer whose aiortc receiver sends receiver reports (no playout tap)."""
    server = ServerPeer(LOOPBACK_ONLY, room.clock.ssrc, mux=room.mux)
    client = ClientPeer(LOOPBACK_ONLY, source, playout=False)
    async with asyncio.timeout(TIMEOUT):
        await client.connect(server.accept)
        room.stream.add(await server.connected())

    async def server_stats() -> list[str]:
        sender = server.pc.getTransceivers()[0].sender
        return [s.type for s in (await sender.getStats()).values()]

    return server, client, server_stats


async def test_a_speakers_rtcp_reaches_aiortc_and_a_listeners_reports_are_dropped() -> None:
    room = Room()
    room.ticker.start()
    peers: list[tuple[ServerPeer, ClientPeer]] = []
    try:
        (endpoint,) = room.mux.endpoints
        speaker, speaker_client, speaker_stats = await connect(
            room, PcmSourceTrack(ToneSource(300.0).next_frame)
        )
        peers.append((speaker, speaker_client))
        listener, listener_client, listener_stats = await connect(room, None)
        peers.append((listener, listener_client))
        assert speaker.pc.getTransceivers()[0].currentDirection == "sendrecv"
        assert listener.pc.getTransceivers()[0].currentDirection == "sendonly"
        # aiortc sends a receiver report every 0.5-1.5 s once packets came.
        await until(lambda: endpoint.stats.rtcp_dropped >= 2, "dropped listener reports")

        async def reported() -> bool:
            return "remote-inbound-rtp" in await speaker_stats()

        async with asyncio.timeout(TIMEOUT):
            while not await reported():  # noqa: ASYNC110 - aiortc's stats, no event
                await asyncio.sleep(0.05)
        assert "remote-inbound-rtp" not in await listener_stats()
    finally:
        for server, client in peers:
            await client.close()
            await server.close()
        await room.close()
