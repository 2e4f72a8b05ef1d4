"""WebSocket connections carry TCP keepalive, so that a vanished peer is found
by the kernel while the WebSocket heartbeat stays rare (real server, 127.0.0.1)."""

import asyncio
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
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == keepalive.IDLE
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == keepalive.INTERVAL
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == keepalive.COUNT
    finally:
        await client.close()


def test_a_vanished_peer_is_found_sooner_than_the_heartbeat_would() -> None:
    found_within = keepalive.IDLE + keepalive.INTERVAL * keepalive.COUNT
    heartbeat = ServerConfig(db_url="sqlite://").heartbeat
    assert found_within < heartbeat + heartbeat / 2
    assert heartbeat < 75  # nginx's proxy_read_timeout in docs/cluster.md
