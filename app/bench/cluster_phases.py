"""Where the time of a failover goes, in the cluster benchmark.

Each kill -9 run notes, on the benchmark's monotonic clock:
- `lease due`: when the dead origin's lease runs out (its PTTL, read from
  Redis just after the kill: the dead process renews nothing any more);
- `lease gone`, `new origin`: when the lease key was first seen gone, and
  first seen holding another node's token (Redis polled every 10 ms);
- for the listener and the speaker (their `TimedLink`): `moved` (the
  client saw the new origin's media epoch, on its first event or in a
  resync), `offered`,
  `answered` (the re-offer, forwarded to the new origin), `connected`
  (ICE and DTLS done); a listener whose own node relays the room keeps its
  link (only `moved`: its node follows the new origin), so its phases after
  that are missing and `connected` is the speaker's;
- `heard`: the end of the first 0.25 s window with the tone again.
The phases are the differences (computed), each from the mark before it.
"""

import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app.server.cluster.config import ClusterConfig
from app.server.cluster.link import RedisDown, RedisLink

# (phase, from mark, to mark): the chain from the kill to the tone heard again.
PHASES = (
    ("the lease runs out (its TTL left at the kill)", "kill", "lease due"),
    ("takeover detected and the lease taken", "lease due", "new origin"),
    ("takeover, the listener sees the new media epoch", "new origin", "ear moved"),
    ("the listener's re-offer answered", "ear moved", "ear answered"),
    ("the listener's ICE and DTLS", "ear answered", "ear connected"),
    ("the speaker sees it, after the listener", "ear moved", "speaker moved"),
    ("the speaker's re-offer answered", "speaker moved", "speaker answered"),
    ("the speaker's ICE and DTLS", "speaker answered", "speaker connected"),
    ("first audio: the last connection to the tone heard", "connected", "heard"),
)
POLL = 0.01


class LeaseWatch:
    """Polls a room's lease key from the kill on until another node holds it."""

    def __init__(self, redis_port: int, lease_key: str) -> None:
        # The cluster's own Redis link (redis stays inside app/server/cluster);
        # a link on its own registers nothing, it only runs commands.
        config = ClusterConfig(f"redis://127.0.0.1:{redis_port}/0", "ws://bench.invalid/ws")
        self._link = RedisLink(config)
        self._key = lease_key
        self.marks: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def _call(self, command: Callable[[Any], Awaitable[Any]]) -> Any:
        if not self._link.up:
            await self._link.connect()
        return await self._link.call(command)

    async def token(self) -> bytes | None:
        value = await self._call(lambda client: client.get(self._key))
        return value if isinstance(value, bytes) else None

    async def start(self, killed: float, old: bytes | None) -> None:
        self.marks = {"kill": killed}
        # Timed from before the request: Redis counted the TTL down while the
        # reply travelled, so this is the earliest the key can expire, never
        # later than a takeover (read after the reply, a loaded loop put it
        # 24 ms past a takeover that CI saw).
        asked = time.monotonic()
        left = await self._call(lambda client: client.pttl(self._key))
        if isinstance(left, int) and left >= 0:
            self.marks["lease due"] = asked + left / 1000
        self._task = asyncio.get_running_loop().create_task(self._watch(old))

    async def _watch(self, old: bytes | None) -> None:
        while True:
            try:
                token = await self.token()
            except RedisDown:
                await asyncio.sleep(POLL)
                continue
            now = time.monotonic()
            if token is None:
                self.marks.setdefault("lease gone", now)
                self.marks.setdefault("lease due", now)  # gone before PTTL was read
            elif token != old:
                self.marks["new origin"] = now
                return
            await asyncio.sleep(POLL)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def close(self) -> None:
        await self.stop()
        await self._link.close()


def combine(
    lease: dict[str, float], ear: dict[str, float], speaker: dict[str, float], heard: float
) -> dict[str, float]:
    """One run's marks in seconds from the kill."""
    kill = lease["kill"]
    marks = {k: v - kill for k, v in lease.items()}
    marks |= {f"ear {k}": v - kill for k, v in ear.items()}
    marks |= {f"speaker {k}": v - kill for k, v in speaker.items()}
    links = [marks[k] for k in ("ear connected", "speaker connected") if k in marks]
    if links:
        marks["connected"] = max(links)
    marks["heard"] = heard
    return marks


def phases(marks: dict[str, float]) -> dict[str, float]:
    return {
        name: marks[end] - marks[start]
        for name, start, end in PHASES
        if start in marks and end in marks
    }


def table(runs: list[dict[str, float]]) -> list[str]:
    """Markdown rows: each phase's p50, worst, and its value in the slowest run."""
    if not runs:
        return []
    slowest = max(range(len(runs)), key=lambda i: runs[i].get("heard", 0.0))
    per_run = [phases(r) for r in runs]
    lines = [
        f"| phase (computed from the marks) | p50, s | worst, s | in the slowest run "
        f"(run {slowest}, heard at {runs[slowest].get('heard', float('nan')):.2f} s), s |",
        "|---|---|---|---|",
    ]
    for name, _, _ in PHASES:
        values = [p[name] for p in per_run if name in p]
        if not values:
            continue
        mine = per_run[slowest].get(name)
        lines.append(
            f"| {name} | {statistics.median(values):.2f} | {max(values):.2f} "
            f"| {'' if mine is None else f'{mine:.2f}'} |"
        )
    return lines
