"""What an edge keeps of the HLS it fetched from rooms' origins, and single flight.

No I/O here. `EdgeCache` holds public answers only (the caller never puts a
`private` one in): segments and init sections never change under their
name, so they stay while their room's playlist is still asked for, bounded
by bytes (least recently used go first); a playlist, or a 404, stays for at
most the max-age its origin gave (a playlist only until the next wall-clock
second, when the origin's next segment is there). `SingleFlight` makes concurrent asks for
one key share one fetch.
"""

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

# A room whose playlist nobody asked for this long loses its cached files.
ROOM_IDLE_SECONDS = 30.0
DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # ~130 rooms' windows of 14 segments
# What an entry costs beside its body (key, headers, bookkeeping), so that
# many small answers (404s for made-up names) are bounded too.
ENTRY_OVERHEAD = 512
IDLE_SWEEP_SECONDS = 1.0  # idle rooms are looked for at most this often


@dataclass(frozen=True, slots=True)
class Fetched:
    """An origin's answer as the edge passes it on."""

    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")


@dataclass(slots=True)
class _Entry:
    fetched: Fetched
    expires: float | None  # None: immutable, kept until evicted


def freshness(cache_control: str) -> float | None:
    """Seconds a shared cache may keep an answer with this Cache-Control;
    math.inf for immutable ones, None if it may not keep it at all."""
    directives = {part.strip().lower() for part in cache_control.split(",") if part.strip()}
    if directives & {"private", "no-store", "no-cache"}:
        return None
    if "immutable" in directives:
        return float("inf")
    for directive in directives:
        name, _, value = directive.partition("=")
        if name == "max-age" and value.isdigit():
            return float(value)
    return None


def rest_of_second(wall: float) -> float:
    """How long a live playlist fetched at wall-clock time `wall` stays fresh:
    until the next whole second, when the writer's next segment is listed
    (app/media/server/hls_phase.py), as nginx keeps it (`X-Accel-Expires`)."""
    return 1.0 - wall % 1.0


class EdgeCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, room_idle: float = ROOM_IDLE_SECONDS):
        self.max_bytes = max_bytes
        self.room_idle = room_idle
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._asked: dict[str, float] = {}  # room -> when its playlist was last asked for
        self._swept = float("-inf")
        self.bytes = 0  # bodies and ENTRY_OVERHEAD each

    def get(self, room_id: str, name: str, now: float) -> Fetched | None:
        key = (room_id, name)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires is not None and now >= entry.expires:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.fetched

    def asked(self, room_id: str, now: float) -> None:
        """The room's playlist was asked for: its files are still wanted."""
        self._asked[room_id] = now

    def put(self, room_id: str, name: str, fetched: Fetched, keep: float, now: float) -> None:
        """Keep `fetched` for `keep` seconds (math.inf: while its room is listened to)."""
        if keep <= 0 or _cost(fetched) > self.max_bytes:
            return
        key = (room_id, name)
        self._drop(key)
        self._entries[key] = _Entry(fetched, None if keep == float("inf") else now + keep)
        self.bytes += _cost(fetched)
        self._asked.setdefault(room_id, now)
        self._evict(now)

    def forget(self, room_id: str) -> None:
        """Everything of one room (it ended, or this node became its origin)."""
        for key in [key for key in self._entries if key[0] == room_id]:
            self._drop(key)
        self._asked.pop(room_id, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self, now: float) -> None:
        if now - self._swept >= IDLE_SWEEP_SECONDS:
            self._swept = now
            idle = [room for room, when in self._asked.items() if now - when > self.room_idle]
            for room_id in idle:
                self.forget(room_id)
        while self.bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple[str, str]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= _cost(entry.fetched)


def _cost(fetched: Fetched) -> int:
    return len(fetched.body) + ENTRY_OVERHEAD


class SingleFlight(Generic[K, V]):
    """Concurrent callers of one key share one run of its work; the work runs
    in a task of its own, so one caller giving up does not cancel the others'."""

    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Task[V]] = {}

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        task = self._flights.get(key)
        if task is None:

            async def run() -> V:
                return await work()

            task = asyncio.get_running_loop().create_task(run())
            self._flights[key] = task
            task.add_done_callback(lambda _t: self._flights.pop(key, None))
        return await asyncio.shield(task)

    def __len__(self) -> int:
        return len(self._flights)

    async def close(self) -> None:
        for task in list(self._flights.values()):
            task.cancel()
        for task in list(self._flights.values()):
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task
