"""Issue #20, point 2: members dropped at once (200 here; MASS_DROPPING=2000
for the issue's figure) while the machine is busy (two CPU burners beside
the server), and their grace periods running out
together, disconnect nobody else — not the host, not a speaker, not an
innocent listener. A quarter of those who drop have a hand up, so that their
going is numbered events for everyone (the audience summary hides the rest).
"""

import asyncio
import os
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.bench.accounts import provision
from app.bot.load import LoadBots
from app.client.session import RoomClient
from app.protocol.requests import AcceptInvite, InviteToStage
from app.server.app import ServerConfig, start_server

DROPPING = int(os.environ.get("MASS_DROPPING", "200"))
WITH_HANDS = DROPPING // 4
INNOCENT = 30
PASSWORD = "mass-departure-1"


@pytest.fixture
def busy_machine() -> Iterator[None]:
    """Two processes that keep both cores busy for the length of the test."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.fixture
def descriptors() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def resumed(url: str, token: str) -> RoomClient:
    client = RoomClient(url, client_name="test", reconnect=False)
    await client.connect()
    await client.resume(token)
    return client


@pytest.mark.timeout(300)
async def test_a_mass_departure_disconnects_nobody_else(
    tmp_path: Path, descriptors: None, busy_machine: None
) -> None:
    db = f"sqlite:///{tmp_path / 'mass.db'}"
    names = ["host", "speaker"] + [f"stay{i}" for i in range(INNOCENT)]
    names += [f"drop{i}" for i in range(DROPPING)]
    tokens = [token for _, token in await provision(db, names, PASSWORD)]
    server = await start_server(
        ServerConfig(db_url=db, port=0, media=False, grace_period=3.0, tick_interval=0.2)
    )
    watchers: list[RoomClient] = []
    bots = None
    try:
        host = await resumed(server.url, tokens[0])
        watchers.append(host)
        room = await host.create_room("Mass departure")
        speaker = await resumed(server.url, tokens[1])
        watchers.append(speaker)
        await speaker.join(room.room_id)
        await host.request(InviteToStage(user_id=speaker.user_id))
        await speaker.wait_until(lambda m: m.members[speaker.user_id].invited)
        await speaker.request(AcceptInvite())
        for token in tokens[2 : 2 + INNOCENT]:
            client = await resumed(server.url, token)
            await client.join(room.room_id)
            watchers.append(client)

        bots = LoadBots(server.url, room.room_id, [f"127.0.9.{i}" for i in range(1, 5)])
        assert await bots.connect(tokens[2 + INNOCENT :]) == DROPPING
        assert len(await bots.join()) == DROPPING
        for listener in bots.listeners[:WITH_HANDS]:
            assert (await listener.call({"type": "raise_hand"})).type == "ok"
        await host.wait_until(
            lambda m: (
                m.audience.listeners == INNOCENT + DROPPING and len(m.hand_queue()) == WITH_HANDS
            ),
            timeout=120,
        )

        await bots.drop()  # all at once
        # Their drops, then their grace periods running out together.
        await host.wait_until(
            lambda m: m.audience.listeners == INNOCENT and not m.hand_queue(), timeout=120
        )
        room_state = server.hub.local_room(room.room_id)
        assert room_state is not None
        await asyncio.wait_for(_until(lambda: not room_state.away), 120)
        await asyncio.sleep(1.5)  # the last summary

        for client in watchers:
            assert not client.conn.closed, client.username
            assert client.kicked is None and client.reconnects == 0
        assert {m.user_id for m in room_state.members.values()} == {c.user_id for c in watchers}
        for client in watchers:
            model = client.model
            assert model is not None and model.audience.listeners == INNOCENT
    finally:
        if bots is not None:
            await bots.close()
        for client in watchers:
            await client.close()
        await server.stop()


async def _until(predicate: Callable[[], bool]) -> None:
    while not predicate():  # noqa: ASYNC110 - the room's state has no event to wait on
        await asyncio.sleep(0.1)
