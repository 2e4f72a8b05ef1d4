"""Media-enabled servers on 127.0.0.1, port 0."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from app.server.app import RunningServer, ServerConfig, start_server

ServerFactory = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def make_server(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """Servers with ServerConfig overrides (HLS under the test's tmp dir); stopped after."""
    servers: list[RunningServer] = []

    async def make(**overrides: object) -> RunningServer:
        settings: dict[str, object] = {
            "db_url": f"sqlite:///{tmp_path / f'voice{len(servers)}.db'}",
            "host": "127.0.0.1",
            "port": 0,
            "media": True,
            "hls_dir": tmp_path / "hls",
            **overrides,
        }
        running = await start_server(ServerConfig(**settings))  # type: ignore[arg-type]
        servers.append(running)
        return running

    yield make
    for running in servers:
        await running.stop()


@pytest.fixture
async def server(make_server: ServerFactory) -> RunningServer:
    return await make_server()
