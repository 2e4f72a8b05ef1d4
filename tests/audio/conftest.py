"""One PulseAudio daemon per test session (per xdist worker), with its own
runtime dir and socket; tests get it reset to the base devices."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.audio.virtual import VirtualPulse
from app.server.app import RunningServer, ServerConfig, start_server
from tests.support import pulse as pulse_support


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualPulse]:
    yield from pulse_support.daemon(tmp_path_factory)


@pytest.fixture
def sound(pulse: VirtualPulse) -> VirtualPulse:
    """The session's daemon with only the base devices, defaults restored."""
    pulse_support.reset(pulse)
    return pulse


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    config = ServerConfig(
        db_url=f"sqlite:///{tmp_path / 'audio.db'}", host="127.0.0.1", port=0, media=True
    )
    running = await start_server(config)
    yield running
    await running.stop()
