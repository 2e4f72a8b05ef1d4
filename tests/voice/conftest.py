"""A media-enabled server on 127.0.0.1, port 0."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.server.app import RunningServer, ServerConfig, start_server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    config = ServerConfig(
        db_url=f"sqlite:///{tmp_path / 'voice.db'}", host="127.0.0.1", port=0, media=True
    )
    running = await start_server(config)
    yield running
    await running.stop()
