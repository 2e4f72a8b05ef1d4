"""Real `panggung-server` processes as cluster nodes, for kill -9 and SIGSTOP."""

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Protocol

import pytest

from tests.support.redis import RedisServer

ROOT = Path(__file__).resolve().parents[3]


class ServerProcess:
    def __init__(self, name: str, process: asyncio.subprocess.Process, url: str) -> None:
        self.name = name
        self.process = process
        self.url = url

    @property
    def http_url(self) -> str:
        return "http://" + self.url.removeprefix("ws://").removesuffix("/ws")

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    async def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGCONT)
                self.process.kill()
            await self.process.wait()


class StartServer(Protocol):
    """Start a node; with `media` it runs its rooms' audio (on 127.0.0.1)."""

    def __call__(self, name: str, media: bool = False) -> Awaitable[ServerProcess]: ...


@pytest.fixture
async def server_process(
    postgres_url: str, redis_server: RedisServer, prefix: str, tmp_path: Path
) -> AsyncIterator[StartServer]:
    started: list[ServerProcess] = []

    async def start(name: str, media: bool = False) -> ServerProcess:
        log = (tmp_path / f"{name}.log").open("ab")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.server.main",
            "--port",
            "0",
            *(() if media else ("--no-media",)),
            "--grace",
            "30",
            "--db",
            postgres_url,
            "--cluster",
            redis_server.url(),
            "--cluster-prefix",
            prefix,
            "--node-name",
            name,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        url = line.decode().strip()
        assert url.startswith("ws://"), f"{name} did not start: {url!r}"
        server = ServerProcess(name, process, url)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            await server.kill()
