"""Fixtures for the web listener's tests: a private network, a private
PulseAudio, headless Chromium, the real server, and speaking clients."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
from numpy.typing import NDArray
from playwright.async_api import Browser, async_playwright

from app.audio.virtual import VirtualPulse
from app.bench.netns import NamespaceUnavailable, private_network
from app.client.session import RoomClient
from app.client.voice_link import VoiceLink
from app.server.app import RunningServer, ServerConfig, start_server
from tests.support import pulse as pulse_support
from tests.support.browser import BrowserUnavailable, launch

PASSWORD = "correct horse battery"
ServerFactory = Callable[..., Awaitable[RunningServer]]
ClientFactory = Callable[..., Awaitable[RoomClient]]


@pytest.fixture(scope="module")
def netns(request: pytest.FixtureRequest) -> Iterator[None]:
    """This module's sockets, servers and browsers in a namespace of their own:
    loopback only, or also a test host interface where the module sets
    WITH_TEST_HOST (see tests/support/netns.py)."""
    try:
        with private_network(test_host=getattr(request.module, "WITH_TEST_HOST", False)):
            yield
    except NamespaceUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualPulse]:
    # This process's environment points at it: parec, in its children, records it.
    yield from pulse_support.daemon(tmp_path_factory)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(netns: None, pulse: VirtualPulse) -> AsyncIterator[Browser]:
    """One Chromium for the module (contexts keep the tests apart); it plays
    to the private PulseAudio's default sink, `spk`."""
    async with async_playwright() as playwright:
        try:
            chromium = await launch(playwright, {**os.environ, **pulse.env()})
        except BrowserUnavailable as exc:
            pytest.fail(str(exc), pytrace=False)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="module")
async def make_server(netns: None, tmp_path: Path) -> AsyncIterator[ServerFactory]:
    servers: list[RunningServer] = []

    async def make(**overrides: object) -> RunningServer:
        settings: dict[str, object] = {
            "db_url": f"sqlite:///{tmp_path / f'panggung{len(servers)}.db'}",
            "port": 0,
            **overrides,
        }
        running = await start_server(ServerConfig(**settings))  # type: ignore[arg-type]
        servers.append(running)
        return running

    yield make
    for running in servers:
        await running.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def make_client() -> AsyncIterator[ClientFactory]:
    clients: list[RoomClient] = []

    async def make(server: RunningServer, name: str) -> RoomClient:
        client = RoomClient(server.url, client_name="test", reconnect=False)
        await client.connect()
        await client.register(name, PASSWORD)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


class ToneSource:
    """A continuous sine, 20 ms at a time, for a speaker's VoiceLink."""

    def __init__(self, freq: float, amplitude: float = 0.4) -> None:
        self._step = 2 * math.pi * freq / 48_000
        self._amplitude = amplitude
        self._n = 0

    def next_frame(self) -> NDArray[np.int16]:
        t = np.arange(self._n, self._n + 960, dtype=np.float64)
        self._n += 960
        wave = self._amplitude * np.sin(self._step * t)
        return np.round(wave * 32767).astype(np.int16)


@pytest_asyncio.fixture(loop_scope="module")
async def speak() -> AsyncIterator[Callable[[RoomClient, float], Awaitable[VoiceLink]]]:
    """Make a client on stage speak a tone, push-to-talk held."""
    links: list[VoiceLink] = []

    async def start(client: RoomClient, freq: float) -> VoiceLink:
        link = VoiceLink(client, ToneSource(freq).next_frame)
        links.append(link)
        await link.start()
        async with asyncio.timeout(20):
            await link.connected.wait()
        await link.press()
        return link

    yield start
    for link in links:
        await link.close()
