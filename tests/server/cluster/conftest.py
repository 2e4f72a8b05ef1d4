"""Nodes for the cluster tests: ClusterNode objects in the test's loop, against a real
Redis, with short lease times; and nodes in processes of their own."""

import asyncio
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from app.server.cluster import ClusterConfig, ClusterNode, Unavailable
from tests.support.closing import closed_within
from tests.support.redis import RedisServer

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[3]
# Short enough for fast tests, long enough for a busy 2-core machine's stalls.
LEASE_TTL = 1.0
RENEW = 0.2
FAST: dict[str, Any] = {
    "lease_ttl": LEASE_TTL,
    "renew_interval": RENEW,
    "lease_margin": 0.1,
    "heartbeat_interval": 0.2,
    "heartbeat_ttl": 0.8,
    "command_timeout": 1.0,
    "attempt_timeout": 1.0,
    "forward_timeout": 5.0,
    "backoff_base": 0.02,
    "backoff_cap": 0.3,
}


class MakeNode(Protocol):
    def __call__(
        self, name: str, redis_url: str | None = None, **overrides: Any
    ) -> Awaitable[ClusterNode]: ...


@pytest.fixture
def prefix() -> str:
    """Each test's own namespace on the shared Redis (keys and channels)."""
    return f"t{secrets.token_hex(4)}"


@pytest.fixture
async def make_node(redis_server: RedisServer, prefix: str) -> AsyncIterator[MakeNode]:
    made: list[ClusterNode] = []

    async def make(name: str, redis_url: str | None = None, **overrides: Any) -> ClusterNode:
        config = ClusterConfig(
            redis_url=redis_url or redis_server.url(),
            url=f"ws://{name}.test:8765/ws",
            name=name,
            prefix=prefix,
            **{**FAST, **overrides},
        )
        node = ClusterNode(config)
        await node.start()
        made.append(node)
        return node

    try:
        yield make
    finally:
        for node in reversed(made):
            await closed_within(node.close(), 10, node.node_id)


@dataclass
class Recorder:
    """A RoomListener that keeps what it was given."""

    events: list[tuple[str, int, bytes]] = field(default_factory=list)
    resyncs: list[tuple[str, str]] = field(default_factory=list)
    notices: list[tuple[str, int, bytes, bool]] = field(default_factory=list)

    def on_event(self, room_id: str, seq: int, frame: bytes) -> None:
        self.events.append((room_id, seq, frame))

    def on_resync(self, room_id: str, reason: str) -> None:
        self.resyncs.append((room_id, reason))

    def on_notice(self, room_id: str, target: int, frame: bytes, kick: bool) -> None:
        self.notices.append((room_id, target, frame, kick))

    def seqs(self, room_id: str | None = None) -> list[int]:
        return [seq for room, seq, _ in self.events if room_id in (None, room)]


async def eventually(
    check: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def until(
    read: Callable[[], Awaitable[T]],
    check: Callable[[T], bool],
    timeout: float = 5.0,
    what: str = "condition",
) -> T:
    """Read until the value passes `check`; a node whose own link is still
    coming back (Unavailable) is asked again."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = await read()
        except Unavailable as exc:
            last = exc
        else:
            if check(value):
                return value
            last = value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
        await asyncio.sleep(0.05)


class NodeProcess:
    """tests/server/cluster/nodeproc.py in a process of its own."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.lines: list[dict[str, Any]] = []
        self.node_id = ""

    @classmethod
    async def start(
        cls, redis_url: str, prefix: str, name: str, stall: float = 10.0
    ) -> "NodeProcess":
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.server.cluster.nodeproc",
            redis_url,
            prefix,
            name,
            str(LEASE_TTL),
            str(RENEW),
            str(stall),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        node = cls(process)
        ready = await node.expect("ready", timeout=30)
        node.node_id = ready["node"]
        return node

    @property
    def pid(self) -> int:
        return self._process.pid

    async def send(self, **command: Any) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command).encode() + b"\n")
        await self._process.stdin.drain()

    async def expect(self, op: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The next line (or one already read) with this op and these fields."""
        for line in self.lines:
            if _matches(line, op, match):
                self.lines.remove(line)
                return line
        assert self._process.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"node process: no {op} {match}; saw {self.lines}")
            try:
                raw = await asyncio.wait_for(self._process.stdout.readline(), left)
            except TimeoutError:
                continue
            if not raw:
                raise AssertionError(f"node process exited; saw {self.lines}")
            got: dict[str, Any] = json.loads(raw)
            if _matches(got, op, match):
                return got
            self.lines.append(got)

    def signal(self, sig: signal.Signals) -> None:
        self._process.send_signal(sig)

    async def kill(self) -> None:
        if self._process.returncode is None:
            self._process.send_signal(signal.SIGCONT)
            self._process.kill()
            await self._process.wait()


def _matches(line: dict[str, Any], op: str, match: dict[str, Any]) -> bool:
    return line.get("op") == op and all(line.get(k) == v for k, v in match.items())


class NodeProcessFactory(Protocol):
    def __call__(self, name: str, stall: float = 10.0) -> Awaitable[NodeProcess]: ...


@pytest.fixture
async def node_process(redis_server: RedisServer, prefix: str) -> AsyncIterator[NodeProcessFactory]:
    started: list[NodeProcess] = []

    async def start(name: str, stall: float = 10.0) -> NodeProcess:
        node = await NodeProcess.start(redis_server.url(), prefix, name, stall)
        started.append(node)
        return node

    try:
        yield start
    finally:
        for node in started:
            await node.kill()
