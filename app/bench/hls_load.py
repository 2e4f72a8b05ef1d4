"""HLS players as load: `python -m app.bench.hls_load URL CLIENTS SOURCES`.

Each client polls the playlist once a second and fetches every segment it
lists once (starting, as a live player does, with the init section and the
newest segment), on its own keep-alive connection from one of SOURCES
(addresses on 127.0.0.0/8, so that thousands of connections do not run out of
ephemeral ports). Line protocol on stdin/stdout, one JSON object a line:
`{"ready": N}` once every client made its first request; then each `stats`
line is answered with the counters so far; `quit` ends the process.

A process of its own, niced by the benchmark, so that the players never share
an event loop with the servers or the benchmark's WebRTC listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import sys
import time
from dataclasses import asdict, dataclass, fields
from typing import Any

import aiohttp
import psutil

from app import loops

_LISTED = re.compile(r'^([0-9a-f]{8}-[0-9]{6}\.m4s)$|URI="([^"]+)"', re.MULTILINE)
POLL = 1.0  # s between playlist fetches: about a segment, as players do
RAMP = 5.0  # s over which the clients start, so they do not all poll at one instant
TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass
class Counters:
    clients: int = 0
    started: int = 0  # clients that made their first request
    playlists: int = 0
    segments: int = 0
    bytes: int = 0
    errors: int = 0  # failed requests (refused, reset, timed out, 5xx)
    gone: int = 0  # listed segments already out of the window when asked (404)


class Player:
    def __init__(
        self, url: str, source: str, counters: Counters, all_started: asyncio.Event
    ) -> None:
        self._url, self._base = url, url.rsplit("/", 1)[0]
        self._all_started = all_started
        self._source = source
        self._counters = counters
        self._seen: set[str] = set()

    async def run(self, delay: float) -> None:
        await asyncio.sleep(delay)
        connector = aiohttp.TCPConnector(limit=1, local_addr=(self._source, 0))
        async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as http:
            first = True
            while True:
                began = time.monotonic()
                try:
                    await self._poll(http)
                except (aiohttp.ClientError, TimeoutError, OSError):
                    self._counters.errors += 1
                if first:
                    self._counters.started += 1
                    if self._counters.started >= self._counters.clients:
                        self._all_started.set()
                    first = False
                await asyncio.sleep(max(0.0, POLL - (time.monotonic() - began)))

    async def _poll(self, http: aiohttp.ClientSession) -> None:
        c = self._counters
        async with http.get(self._url) as response:
            text = await response.text()
            c.bytes += len(text)
            if response.status != 200:
                c.errors += 1
                return
        c.playlists += 1
        listed = [m.group(1) or m.group(2) for m in _LISTED.finditer(text)]
        if not self._seen:
            listed = listed[:1] + listed[-1:]
        for name in listed:
            if name in self._seen:
                continue
            self._seen.add(name)
            async with http.get(f"{self._base}/{name}") as part:
                body = await part.read()
                c.bytes += len(body)
                if part.status == 404:
                    c.gone += 1
                elif part.status != 200:
                    c.errors += 1
                elif name.endswith(".m4s"):
                    c.segments += 1
        if len(self._seen) > 64:  # the window is a few segments: forget the old names
            self._seen = set(listed)


async def main(url: str, clients: int, sources: list[str]) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    counters = Counters(clients=clients)
    all_started = asyncio.Event()
    players = [
        Player(url, sources[n % len(sources)], counters, all_started) for n in range(clients)
    ]
    tasks = [
        asyncio.get_running_loop().create_task(p.run(RAMP * n / max(1, clients)))
        for n, p in enumerate(players)
    ]
    await all_started.wait()
    _say({"ready": counters.started})
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while line := (await reader.readline()).decode().strip():
        if line == "quit":
            break
        if line == "stats":
            _say(asdict(counters))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class HlsLoad:
    """The benchmark's side: several player processes, their counters summed."""

    PER_PROCESS = 2500  # players per process: their HTTP is the load's own CPU

    def __init__(self) -> None:
        self._procs: list[asyncio.subprocess.Process] = []

    async def start(self, url: str, clients: int, first_net: int = 100) -> int:
        """`clients` players of `url`, their sources on 127.<first_net + n>.0.0/24
        for process n; returns how many made their first request."""
        count = max(1, -(-clients // self.PER_PROCESS))
        started = []
        for n in range(count):
            mine = clients // count + (1 if n < clients % count else 0)
            sources = ",".join(f"127.{first_net + len(self._procs)}.0.{h}" for h in range(1, 9))
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "app.bench.hls_load", url, str(mine), sources,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                preexec_fn=lambda: os.nice(5),
            )  # fmt: skip
            self._procs.append(proc)
            started.append(proc)
        ready = 0
        for proc in started:
            ready += int((await self._read(proc))["ready"])
        return ready

    async def stats(self) -> Counters:
        total = Counters()
        for proc in self._procs:
            assert proc.stdin is not None
            proc.stdin.write(b"stats\n")
            await proc.stdin.drain()
            got = await self._read(proc)
            for f in fields(Counters):
                setattr(total, f.name, getattr(total, f.name) + int(got[f.name]))
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self._procs:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(proc.pid).cpu_times()
                total += times.user + times.system
        return total

    async def quit(self) -> None:
        for proc in self._procs:
            with contextlib.suppress(Exception):
                assert proc.stdin is not None
                proc.stdin.write(b"quit\n")
                await proc.stdin.drain()
        for proc in self._procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self._procs = []

    @staticmethod
    async def _read(proc: asyncio.subprocess.Process) -> dict[str, Any]:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        if not line:
            raise RuntimeError("an HLS load process died")
        data: dict[str, Any] = json.loads(line)
        return data


def _say(data: dict[str, int]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    loops.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")))
