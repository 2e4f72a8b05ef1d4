"""Fixtures for tests that run the real server on 127.0.0.1, port 0."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from app.client.session import RoomClient
from app.server.app import RunningServer, ServerConfig, start_server
from tests.support.closing import closed_within

ClientFactory = Callable[..., Awaitable[RoomClient]]
PASSWORD = "correct horse battery"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'panggung.db'}"


def config_for(db_url: str, **overrides: object) -> ServerConfig:
    settings: dict[str, object] = {"db_url": db_url, "host": "127.0.0.1", "port": 0}
    settings.update(overrides)
    return ServerConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[RunningServer]:
    running = await start_server(config_for(sqlite_url))
    yield running
    await closed_within(running.stop(), 60, "the server")


@pytest.fixture
async def make_client(server: RunningServer) -> AsyncIterator[ClientFactory]:
    """Connected, signed-in clients (registered on first use) for `server`."""
    clients: list[RoomClient] = []

    async def make(name: str, url: str | None = None, reconnect: bool = False) -> RoomClient:
        client = RoomClient(url or server.url, client_name="test", reconnect=reconnect)
        await client.connect()
        await client.register(name, PASSWORD)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
