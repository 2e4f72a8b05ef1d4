"""`SoloCluster`: the `Cluster` of a server that is its own and only node.

Without `--cluster` nothing leaves the process, as before there was a
cluster: every room's lease is this node's and never runs out, events have
no other node to go to, a forwarded request is handled here, and the
directory is this node's rooms.
"""

import asyncio
import math
import time
from collections.abc import Iterable, Mapping

from app.server.cluster.api import (
    Fenced,
    Health,
    Holder,
    LeaseState,
    MemberEntry,
    NodeInfo,
    Outcome,
    RequestHandler,
    RoomListener,
    RoomListing,
    StateListener,
    Unavailable,
    VolatileRoom,
)

NODE_ID = "solo"


class SoloLease:
    def __init__(self, cluster: "SoloCluster", room_id: str, epoch: int) -> None:
        self._cluster = cluster
        self.room_id = room_id
        self.epoch = epoch
        self._state = LeaseState.ACTIVE
        self._where: dict[int, str] = {}  # for the directory's counts
        self.summary: bytes | None = None

    @property
    def state(self) -> LeaseState:
        return self._state

    @property
    def active(self) -> bool:
        return self._state is LeaseState.ACTIVE

    @property
    def token(self) -> str:
        return Holder(NODE_ID, self.epoch).token

    def publish(self, seq: int, frame: bytes) -> "asyncio.Future[Outcome]":
        return self._outcome()

    def notify(
        self, target: int, frame: bytes, kick: bool = False, node: str = ""
    ) -> "asyncio.Future[Outcome]":
        return self._outcome()

    def mirror(
        self,
        upserts: Mapping[int, MemberEntry] | None = None,
        removals: Iterable[int] = (),
        state: bytes | None = None,
    ) -> "asyncio.Future[Outcome]":
        if self.active:
            for uid in removals:
                self._where.pop(uid, None)
            for uid, entry in (upserts or {}).items():
                if entry.node is None:
                    self._where.pop(uid, None)
                else:
                    self._where[uid] = entry.node
        return self._outcome()

    def list(self, summary: bytes) -> "asyncio.Future[Outcome]":
        if self.active:
            self.summary = summary
        return self._outcome()

    async def release(self) -> None:
        self._end()

    async def close(self) -> None:
        self._end()

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self._where.values():
            counts[node] = counts.get(node, 0) + 1
        return counts

    def _end(self) -> None:
        if self._state is LeaseState.ACTIVE:
            self._state = LeaseState.RELEASED
            self._cluster.forget(self)

    def _outcome(self) -> "asyncio.Future[Outcome]":
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        if self.active:
            future.set_result(Outcome.DONE)
        else:
            future.set_exception(Fenced(f"room {self.room_id}: the lease is released"))
            future.add_done_callback(lambda f: f.exception())
        return future


class SoloCluster:
    node_id = NODE_ID

    def __init__(self, url: str = "", started_at: float | None = None) -> None:
        self._url = url
        self._started_at = time.time() if started_at is None else started_at
        self._leases: dict[str, SoloLease] = {}
        self._epochs: dict[str, int] = {}
        self._handler: RequestHandler | None = None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for lease in list(self._leases.values()):
            await lease.release()

    def health(self) -> Health:
        return Health(ok=True)

    async def nodes(self) -> list[NodeInfo]:
        return [NodeInfo(NODE_ID, NODE_ID, self._url, self._started_at, rooms=len(self._leases))]

    async def acquire(
        self, room_id: str, *, floor: int = 0, on_state: StateListener | None = None
    ) -> SoloLease | None:
        lease = self._leases.get(room_id)
        if lease is None:
            epoch = max(self._epochs.get(room_id, 0), floor) + 1
            self._epochs[room_id] = epoch
            lease = self._leases[room_id] = SoloLease(self, room_id, epoch)
        return lease

    def lease(self, room_id: str) -> SoloLease | None:
        return self._leases.get(room_id)

    async def holder(self, room_id: str) -> Holder | None:
        lease = self._leases.get(room_id)
        return Holder(NODE_ID, lease.epoch) if lease else None

    async def lease_left(self, room_id: str) -> float | None:
        return math.inf if room_id in self._leases else None  # held for this process's life

    def serve(self, handler: RequestHandler) -> None:
        self._handler = handler

    async def forward(self, room_id: str, body: bytes, *, timeout: float | None = None) -> bytes:
        if room_id not in self._leases or self._handler is None:
            raise Unavailable(f"room {room_id} is unavailable: no node holds the room")
        return await self._handler(room_id, NODE_ID, body)

    async def subscribe(self, room_id: str, listener: RoomListener) -> None:
        return None  # no other node ever publishes

    async def unsubscribe(self, room_id: str) -> None:
        return None

    async def restore(self, room_id: str) -> VolatileRoom | None:
        return None  # the volatile part dies with the process, as it always did

    async def directory(self) -> list[RoomListing]:
        return [
            RoomListing(room_id, lease.summary, Holder(NODE_ID, lease.epoch), lease.counts())
            for room_id, lease in sorted(self._leases.items())
            if lease.summary is not None
        ]

    async def orphans(self) -> list[str]:
        return []

    def forget(self, lease: SoloLease) -> None:
        if self._leases.get(lease.room_id) is lease:
            del self._leases[lease.room_id]
