"""After a server restart every client comes back: spread out by full jitter,
admitted at the server's rate (some told `busy` and when to come back), and
nobody is lost."""

import asyncio
import random
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest

from app.client.room_model import RoomModel
from app.client.session import BACKOFF_CAP, RoomClient, backoff
from app.server.app import ServerConfig, start_server
from tests.server.http.conftest import PASSWORD

CLIENTS = 25


def test_full_jitter_spreads_waits_between_zero_and_a_doubling_cap() -> None:
    rng = random.Random(7)
    for attempt in range(8):
        cap = min(BACKOFF_CAP, 2.0**attempt)
        waits = [backoff(attempt, rng) for _ in range(2000)]
        assert min(waits) >= 0.0 and max(waits) <= cap
        # Uniform over [0, cap]: the mean is half the cap, not the cap itself.
        assert statistics.mean(waits) == pytest.approx(cap / 2, rel=0.1)
    assert max(backoff(50, rng) for _ in range(100)) <= BACKOFF_CAP


async def test_a_restart_brings_everyone_back_spread_out_and_admitted(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'storm.db'}"
    # A slow gate, so that this small storm already meets it.
    config = ServerConfig(
        db_url=db, port=0, media=False, join_rate=5.0, join_burst=2, join_max_wait=0.2
    )
    server = await start_server(config)
    port = server.port
    clients: list[RoomClient] = []
    try:
        host = RoomClient(server.url, client_name="test", reconnect=True, rng=random.Random(0))
        await host.connect()
        await host.register("storm-host", PASSWORD)
        room = await host.create_room("After the restart")
        clients.append(host)
        for i in range(CLIENTS):
            client = RoomClient(
                server.url, client_name="test", reconnect=True, rng=random.Random(i + 1)
            )
            await client.connect()
            await client.register(f"storm-{i}", PASSWORD)
            await client.join(room.room_id)
            clients.append(client)
        await server.stop()
        server = await start_server(
            ServerConfig(
                db_url=db, port=port, media=False, join_rate=5.0, join_burst=2, join_max_wait=0.2
            )
        )
        listeners = clients[1:]

        def reconnected(client: RoomClient) -> Callable[[RoomModel], bool]:
            return lambda _model: client.reconnects >= 1

        await asyncio.gather(*(c.wait_until(reconnected(c), timeout=60) for c in clients))
        await host.wait_until(lambda m: m.audience.listeners == CLIENTS, timeout=30)
        assert all(c.kicked is None for c in clients)
        # Spread out: the first waits were drawn from [0, 1 s], not all alike.
        first = [c.backoffs[0] for c in listeners]
        assert all(0.0 <= w <= 1.0 for w in first)
        assert statistics.pstdev(first) > 0.15
        # The gate met the storm: some were told to come back later, and did.
        assert sum(c.busy_answers for c in listeners) > 0
    finally:
        for client in clients:
            await client.close()
        await server.stop()
