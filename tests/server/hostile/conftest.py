"""A server on 127.0.0.1 with small limits, and clients that misbehave on purpose.

Limits are small (a cap of 50 connections, a 1 s request timeout, a 2 s
database timeout, a 1 s grace period) so that exhaustion and faults are
reached in a second or two, not minutes.
"""

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from argon2 import PasswordHasher

from app.protocol import PROTOCOL_VERSION
from app.server.app import RunningServer, ServerConfig, start_server
from tests.support.disks import ram_disks

PASSWORD = "correct horse battery"
# Cheap hashes: the tests about hashing measure the gate, not Argon2's cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def hostile_config(db_url: str, **overrides: Any) -> ServerConfig:
    settings: dict[str, Any] = {
        "db_url": db_url,
        "host": "127.0.0.1",
        "port": 0,
        "media": False,
        "grace_period": 1.0,
        "tick_interval": 0.1,
        "db_timeout": 2.0,
        "max_connections": 50,
        "request_timeout": 1.0,
        "storage_check_interval": 0.5,
    }
    settings.update(overrides)
    return ServerConfig(**settings)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'panggung.db'}"


StartServer = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def start() -> AsyncIterator[StartServer]:
    """Start servers with hostile_config's small limits; all stopped at the end."""
    running: list[RunningServer] = []

    async def make(db_url: str, **overrides: Any) -> RunningServer:
        server = await start_server(hostile_config(db_url, **overrides))
        running.append(server)
        return server

    yield make
    for server in running:
        await server.stop()


@pytest.fixture
async def server(start: StartServer, sqlite_url: str) -> RunningServer:
    return await start(sqlite_url)


class Peer:
    """A bare WebSocket speaking the protocol as plain dicts, to send what a
    well-behaved client never would. Pushed messages are kept apart from replies."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.http = http
        self.ws = ws
        self.pushed: list[dict[str, Any]] = []
        self.user_id = 0
        self.token = ""
        self._next_id = 100

    async def send(self, frame: str | bytes | dict[str, Any], timeout: float = 10.0) -> Any:
        """Send one frame; return its reply (pushed messages on the way are kept)."""
        if isinstance(frame, dict):
            frame = json.dumps(frame)
        if isinstance(frame, bytes):
            await self.ws.send_bytes(frame)
        else:
            await self.ws.send_str(frame)
        return await self.reply(timeout)

    async def reply(self, timeout: float = 10.0) -> Any:
        while True:
            message = await self.ws.receive(timeout=timeout)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            data = json.loads(message.data)
            if data["type"] in ("ok", "error"):
                return data
            self.pushed.append(data)

    async def call(self, kind: str, **fields: Any) -> Any:
        self._next_id += 1
        return await self.send({"type": kind, "id": self._next_id, **fields})

    async def ok(self, kind: str, **fields: Any) -> Any:
        reply = await self.call(kind, **fields)
        assert reply["type"] == "ok", reply
        return reply["data"]

    async def wait_pushed(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first pushed message (already here or coming) that `match`es."""
        for data in self.pushed:
            if match(data):
                return data
        while True:
            message = await self.ws.receive(timeout=timeout)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            fresh: dict[str, Any] = json.loads(message.data)
            self.pushed.append(fresh)
            if match(fresh):
                return fresh


@dataclass
class Peers:
    """Opens Peers (from a chosen 127.x.y.z source address) and closes them at the end."""

    url: str
    stack: AsyncExitStack

    async def raw(self, source: str = "127.0.0.1", **headers: str) -> Peer:
        connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
        http = await self.stack.enter_async_context(aiohttp.ClientSession(connector=connector))
        ws = await self.stack.enter_async_context(http.ws_connect(self.url, headers=headers))
        return Peer(http, ws)

    async def greeted(self, source: str = "127.0.0.1") -> Peer:
        peer = await self.raw(source)
        await peer.ok("hello", protocol=PROTOCOL_VERSION)
        return peer

    async def user(self, name: str, source: str = "127.0.0.1") -> Peer:
        """Greeted and registered."""
        peer = await self.greeted(source)
        data = await peer.ok("register", username=name, password=PASSWORD)
        peer.user_id, peer.token = data["user_id"], data["token"]
        return peer


@pytest.fixture
async def peers(server: RunningServer) -> AsyncIterator[Peers]:
    async with AsyncExitStack() as stack:
        yield Peers(server.url, stack)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount small RAM disks (a real "No space left on device"); needs root."""
    with ram_disks(tmp_path) as mount:
        yield mount
