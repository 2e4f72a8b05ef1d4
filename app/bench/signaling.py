"""Signaling load: how much server CPU a join storm and a room-wide event cost.

A real `panggung-server` process runs on 127.0.0.1; N clients in this process
join one room at once, then the host changes the topic repeatedly. The server
process's CPU time (not wall time: the clients share the machine) is divided
by what it did: joins, and event frames delivered.
"""

import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from app.client.connection import ServerConnection
from app.protocol import PROTOCOL_VERSION
from app.protocol.replies import Authenticated, RoomState
from app.protocol.requests import CreateRoom, Hello, JoinRoom, Register, SetTopic

PASSWORD = "bench-password-1"


@dataclass(frozen=True)
class StormResult:
    listeners: int
    join_frames: int
    broadcast_frames: int
    join_wall_s: float
    join_cpu_us: float  # server CPU per join
    join_frame_cpu_us: float  # server CPU per event frame delivered during the storm
    broadcast_frame_cpu_us: float  # server CPU per frame for a room-wide event


class Server:
    def __init__(self, db_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.server.main",
                "--port",
                "0",
                "--db",
                f"sqlite:///{db_dir / 'bench.db'}",
                "--log-level",
                "WARNING",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("ws://"):
            raise RuntimeError("panggung-server did not start")
        self.ps = psutil.Process(self.proc.pid)

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def _signed_in(
    url: str, http: aiohttp.ClientSession, name: str, gate: asyncio.Semaphore
) -> ServerConnection:
    async with gate:
        conn = await ServerConnection.open(url, http=http)
        await conn.call(Hello(id=0, protocol=PROTOCOL_VERSION, client="bench"))
        await conn.call_for(Register(id=0, username=name, password=PASSWORD), Authenticated)
        return conn


async def _drain(conn: ServerConnection) -> int:
    count = 0
    while not conn.pushed.empty():
        conn.pushed.get_nowait()
        count += 1
    return count


async def _wait_frames(conns: list[ServerConnection], expected: int, timeout: float) -> int:
    """Count pushed frames until `expected` arrived in all (or the timeout)."""
    got = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for conn in conns:
            got += await _drain(conn)
        if got >= expected:
            return got
        await asyncio.sleep(0.05)
    return got


async def storm(server: Server, listeners: int, tag: str, broadcasts: int) -> StormResult:
    # WebSockets hold their connection: lift the default pool limit of 100.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        gate = asyncio.Semaphore(8)
        names = [f"{tag}-host"] + [f"{tag}-l{i}" for i in range(listeners)]
        conns = await asyncio.gather(*(_signed_in(server.url, http, n, gate) for n in names))
        host, guests = conns[0], conns[1:]
        room = await host.call_for(CreateRoom(id=0, title=f"bench {tag}"), RoomState)
        room_id = room.room.room_id

        cpu0, wall0 = server.cpu(), time.perf_counter()
        await asyncio.gather(*(g.call(JoinRoom(id=0, room_id=room_id)) for g in guests))
        # Member k's join reaches the host and the k members already in.
        expected = sum(k + 1 for k in range(listeners))
        frames = await _wait_frames(list(conns), expected, timeout=120)
        join_wall, join_cpu = time.perf_counter() - wall0, server.cpu() - cpu0

        cpu0 = server.cpu()
        for i in range(broadcasts):
            await host.call(SetTopic(id=0, topic=f"topic {i}"))
        delivered = await _wait_frames(list(conns), broadcasts * len(conns), timeout=120)
        broadcast_cpu = server.cpu() - cpu0

        for conn in conns:
            with contextlib.suppress(Exception):
                await conn.close()
    return StormResult(
        listeners=listeners,
        join_frames=frames,
        broadcast_frames=delivered,
        join_wall_s=join_wall,
        join_cpu_us=join_cpu / listeners * 1e6,
        join_frame_cpu_us=join_cpu / max(frames, 1) * 1e6,
        broadcast_frame_cpu_us=broadcast_cpu / max(delivered, 1) * 1e6,
    )


async def run(sizes: list[int], broadcasts: int) -> list[StormResult]:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            return [await storm(server, n, f"n{n}", broadcasts) for n in sizes]
        finally:
            server.stop()


def markdown(results: list[StormResult]) -> str:
    rows = [
        "| listeners | join storm wall (s) | server CPU per join (µs) "
        "| per join-event frame (µs) | per broadcast frame (µs) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r.listeners} | {r.join_wall_s:.2f} | {r.join_cpu_us:.0f} "
            f"| {r.join_frame_cpu_us:.1f} | {r.broadcast_frame_cpu_us:.1f} |"
        )
    small, large = results[0], results[-1]
    if small is not large and small.join_cpu_us > 0:
        ratio = large.join_cpu_us / small.join_cpu_us
        rows.append("")
        rows.append(
            f"Per-join server CPU grows {ratio:.1f}x from {small.listeners} to "
            f"{large.listeners} listeners (same run): every join is announced to every "
            "member, so a storm of N joins costs O(N²) frames."
        )
    return "\n".join(rows)
