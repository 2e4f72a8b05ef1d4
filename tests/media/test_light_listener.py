import asyncio

import pytest

from app.bench import fanout
from app.media.client.light import CountingListener
from app.media.ice import LOOPBACK_ONLY
from app.media.server.fanout import FanoutStream
from app.media.server.peer import ServerPeer
from app.media.server.rtp_clock import RtpClock
from tests.media.live import TIMEOUT


async def test_counting_listener_counts_and_tracks_sequence_range() -> None:
    clock = RtpClock()
    stream = FanoutStream(clock)
    server = ServerPeer(LOOPBACK_ONLY, clock.ssrc)
    listener = CountingListener(LOOPBACK_ONLY)
    try:
        await listener.connect(server.accept)
        async with asyncio.timeout(TIMEOUT):
            stream.add(await server.connected())
        for _ in range(3):  # before the window: not expected
            clock.advance()
        listener.reset()
        for i in range(20):
            clock.advance()
            if i != 10:
                stream.send(b"\x00" * 40)
            await asyncio.sleep(0.005)
        async with asyncio.timeout(TIMEOUT):
            while listener.packets < 19:  # noqa: ASYNC110 - no event to wait on
                await asyncio.sleep(0.01)
        assert listener.packets == 19
        assert listener.expected == 20
    finally:
        await listener.close()
        await server.close()


@pytest.mark.timeout(120)
async def test_fanout_benchmark_smoke() -> None:
    result = await fanout.run("panggung", listeners=3, procs=1, seconds=1.0, warmup=0.5)
    assert result.deliveries >= 3 * 40
    assert result.expected > 0
    assert result.cpu_us_per_delivery > 0
