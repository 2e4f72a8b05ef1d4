"""The benchmark's listener pool: every packet decrypted (with the listener's own
keys) and counted, ICE and DTLS still answered by aiortc."""

from __future__ import annotations

import asyncio
import socket

import pytest

from app.media import aiortc_hooks as hooks
from app.media.client.light import CountingListener
from app.media.client.light_pool import ReceivePool, available
from app.media.ice import LOOPBACK_ONLY
from app.media.server.consent import ConsentWheel
from app.media.server.fanout import FanoutStream
from app.media.server.peer import ServerPeer
from app.media.server.rtp_clock import RtpClock
from app.media.server.udp_mux import UdpMux
from tests.media.live import TIMEOUT

pytestmark = pytest.mark.skipif(not available(), reason="recvmmsg is Linux-only")


async def test_pool_counts_every_packet_and_keeps_ice_alive() -> None:
    clock = RtpClock()
    mux = UdpMux.open(LOOPBACK_ONLY.host_addresses)
    mux.consent = ConsentWheel(interval=0.3, slots=3, failures=3)
    stream = FanoutStream(clock, "audience")
    servers = [ServerPeer(LOOPBACK_ONLY, clock.ssrc, mux=mux) for _ in range(3)]
    listeners = [CountingListener(LOOPBACK_ONLY) for _ in range(3)]
    pool = ReceivePool(period=0.01)
    try:
        for server, listener in zip(servers, listeners, strict=True):
            await listener.connect(server.accept)
            async with asyncio.timeout(TIMEOUT):
                stream.add(await server.connected())
        async with asyncio.timeout(TIMEOUT):
            while not all(lst.transport.state == "connected" for lst in listeners):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert all(pool.adopt(lst) for lst in listeners)
        pool.start()
        for lst in listeners:
            lst.reset()
        for _ in range(30):
            clock.advance()
            stream.send(b"\x11" * 80)
            await asyncio.sleep(0.005)
        # A forged packet to one listener: SRTP authentication rejects it.
        route = hooks.nominated_route(hooks.ice_connection(listeners[0].transport))
        assert route is not None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as forger:
            local = route[0].get_extra_info("sockname")
            forger.sendto(bytes([0x80, 111]) + b"\x00" * 60, local)
        answered = mux.consent.stats.answered
        async with asyncio.timeout(TIMEOUT):
            while (  # noqa: ASYNC110 - plain counters, no event to wait on
                any(lst.packets < 30 for lst in listeners)
                or pool.stats.rejected < 1
                or mux.consent.stats.answered < answered + 3  # answered through the pool
            ):
                await asyncio.sleep(0.02)
        assert [lst.packets for lst in listeners] == [30, 30, 30]
        assert [lst.expected for lst in listeners] == [30, 30, 30]
        assert listeners[0].rejected == 1 and pool.stats.rejected == 1
        assert pool.stats.other > 0  # STUN went back to aioice
        assert mux.consent.stats.expired == 0
    finally:
        await pool.stop()
        for listener in listeners:
            await listener.close()
        for server in servers:
            await server.close()
        await mux.close()
