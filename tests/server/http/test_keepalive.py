"""WebSocket connections carry TCP keepalive, so that a vanished peer is found
by the kernel while the WebSocket heartbeat stays rare (real server, 127.0.0.1)."""

import asyncio
import collections
import random
import socket

from app.client.session import RoomClient
from app.server.app import RunningServer, ServerConfig
from app.server.http import keepalive


async def test_the_servers_side_of_a_websocket_probes_its_peer(server: RunningServer) -> None:
    client = RoomClient(server.url, client_name="test", reconnect=False)
    await client.connect()
    try:
        for _ in range(100):
            if server.connections:
                break
            await asyncio.sleep(0.01)
        (conn,) = server.connections
        sock = conn.ws.get_extra_info("socket")
        assert sock is not None
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        probing = keepalive.DEFAULT
        idle = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE)
        interval = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL)
        assert probing.idle <= idle < probing.idle + probing.idle_spread
        assert probing.interval <= interval < probing.interval + probing.interval_spread
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == probing.count
    finally:
        await client.close()


def test_a_vanished_peer_is_found_sooner_than_the_heartbeat_would() -> None:
    heartbeat = ServerConfig(db_url="sqlite://").heartbeat
    assert keepalive.DEFAULT.found_within < heartbeat + heartbeat / 2
    assert heartbeat < 75  # nginx's proxy_read_timeout in docs/cluster.md


def test_each_connection_draws_its_own_times_over_the_whole_range() -> None:
    rng = random.Random(7)
    probing = keepalive.DEFAULT
    drawn = [probing.draw(rng) for _ in range(15_000)]
    idles = collections.Counter(idle for idle, _ in drawn)
    assert set(idles) == set(range(probing.idle, probing.idle + probing.idle_spread))
    # A herd that went quiet together probes a few hundred a second, not all at once.
    assert max(idles.values()) < 2 * 15_000 / probing.idle_spread
    assert {interval for _, interval in drawn} == set(
        range(probing.interval, probing.interval + probing.interval_spread)
    )
