"""Redis commands per room event in the cluster benchmark, counted so that
only what the events cause is in the figure.

INFO commandstats counts every command Redis ran, the cluster's background
loops' too (lease renewals, heartbeats, directory reads, the audience
counts' notices), which go on whether or not anything happens in the room.
So the same counters are read over an idle window before the events and
one after, with nothing happening, and their rate per second (per command)
is subtracted from the window with the events (computed: measured minus
idle rate x window length, divided by the events the room numbered).
"""

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

# Each idle window, s: long enough to hold a few rounds of every background loop.
IDLE_WINDOW = 5.0


def redis_calls(redis_port: int) -> dict[str, int]:
    out = subprocess.run(
        ["redis-cli", "-p", str(redis_port), "INFO", "commandstats"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    calls: dict[str, int] = {}
    for line in out.splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line.split(":", 1)
            calls[name.removeprefix("cmdstat_")] = int(rest.split("calls=")[1].split(",")[0])
    return calls


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


@dataclass
class EventWindow:
    """One audience size's count (measured) and what is left of it less the
    background (computed)."""

    events: int
    seconds: float  # the window with the events
    idle_seconds: float  # both idle windows together
    during: dict[str, int]  # command -> calls in the window with the events
    idle: dict[str, int]  # command -> calls in the idle windows
    net: dict[str, float] = field(default_factory=dict)  # command -> per event, less idle

    def __post_init__(self) -> None:
        rate = {k: v / self.idle_seconds for k, v in self.idle.items()}
        names = set(self.during) | set(rate)
        self.net = {
            k: (self.during.get(k, 0) - rate.get(k, 0.0) * self.seconds) / self.events
            for k in names
        }

    @property
    def gross_per_event(self) -> float:
        return sum(self.during.values()) / self.events

    @property
    def net_per_event(self) -> float:
        return sum(self.net.values())

    @property
    def idle_per_second(self) -> float:
        return sum(self.idle.values()) / self.idle_seconds

    def spublish(self) -> tuple[float, float]:
        """SPUBLISH per event: measured, and less the idle rate."""
        return self.during.get("spublish", 0) / self.events, self.net.get("spublish", 0.0)


async def _idle(redis_port: int) -> tuple[dict[str, int], float]:
    before, start = await asyncio.to_thread(redis_calls, redis_port), time.monotonic()
    await asyncio.sleep(IDLE_WINDOW)
    after, end = await asyncio.to_thread(redis_calls, redis_port), time.monotonic()
    return _delta(after, before), end - start


async def count_events(
    redis_port: int,
    seq: Callable[[], Awaitable[int]],
    make_events: Callable[[], Awaitable[None]],
) -> EventWindow:
    """Idle window, the events, idle window; `seq` reads the room's last seq
    (outside the windows: it is a request too)."""
    idle_a, seconds_a = await _idle(redis_port)
    seq_before = await seq()
    before, start = await asyncio.to_thread(redis_calls, redis_port), time.monotonic()
    await make_events()
    after, end = await asyncio.to_thread(redis_calls, redis_port), time.monotonic()
    seq_after = await seq()
    idle_b, seconds_b = await _idle(redis_port)
    idle = {k: idle_a.get(k, 0) + idle_b.get(k, 0) for k in set(idle_a) | set(idle_b)}
    return EventWindow(
        events=max(1, seq_after - seq_before),
        seconds=end - start,
        idle_seconds=seconds_a + seconds_b,
        during=_delta(after, before),
        idle=idle,
    )
