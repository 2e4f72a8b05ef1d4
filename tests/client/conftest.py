"""The real room server for the client tests that need one."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.server.app import RunningServer, ServerConfig, start_server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server on a free port of 127.0.0.1 with its own SQLite store."""
    running = await start_server(
        ServerConfig(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", host="127.0.0.1", port=0)
    )
    yield running
    await running.stop()
