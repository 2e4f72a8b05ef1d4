"""The interface the hub uses to run rooms on one node or many (docs/cluster.md).

A `Cluster` is this node's view of the cluster. A `Lease` is this node's
ownership of one room: every action only the origin may take (publishing an
event, mirroring the volatile state, listing the room, ending it) is a
method of the lease, so it always carries the lease's fencing token.

Payloads are opaque bytes: the hub encodes frames, requests, replies and
member states with the protocol's codec; the cluster carries them.
"""

import enum
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class ClusterError(Exception):
    """Base of the errors the cluster layer raises."""


class Unavailable(ClusterError):
    """The room's origin cannot be reached now (gone, or Redis is away); try later."""


class Fenced(ClusterError):
    """This node no longer holds the room's lease: the action was refused."""


class RemoteError(ClusterError):
    """The origin failed while handling a forwarded request."""


class LeaseState(enum.Enum):
    ACTIVE = "active"  # renewed in time: the origin may act
    # The lease's time ran out unrenewed (Redis slow or away, or this node
    # paused): stop acting, keep trying; it comes back ACTIVE if nobody else
    # took the room meanwhile, or turns LOST.
    SUSPENDED = "suspended"
    LOST = "lost"  # another node holds the room, or a write was fenced: give it up
    RELEASED = "released"  # given up by this node


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a room's lease, as Redis says now."""

    node_id: str
    epoch: int

    @property
    def token(self) -> str:
        return f"{self.node_id}:{self.epoch}"

    @classmethod
    def parse(cls, token: str) -> "Holder":
        node_id, _, epoch = token.rpartition(":")
        return cls(node_id, int(epoch))


@dataclass(frozen=True, slots=True)
class NodeInfo:
    node_id: str
    name: str
    url: str  # the WebSocket URL clients may connect to
    started_at: float  # wall clock, seconds
    rooms: int = 0  # rooms this node is the origin of
    load: int = 0  # the node's own load figure (its connections)
    # Where the other nodes reach this one's HTTP (the broadcast tier's edges
    # fetch a room's HLS from its origin there); "" from older nodes.
    http: str = ""


@dataclass(frozen=True, slots=True)
class MemberEntry:
    """The volatile part of one member, as mirrored: where they are connected."""

    node: str | None  # None: connected nowhere (in their grace period)
    data: bytes  # the hub's encoding of the member's volatile state


@dataclass(frozen=True, slots=True)
class VolatileRoom:
    """What Redis holds of a room beside the store: enough to carry on after a takeover."""

    seq: int  # the last event seq published; the next origin goes on from here
    epoch: int  # the last epoch issued for the room
    members: dict[int, MemberEntry] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # members connected per node
    state: bytes | None = None  # the room's own volatile part


@dataclass(frozen=True, slots=True)
class RoomListing:
    """One live room in the cluster directory."""

    room_id: str
    summary: bytes  # the hub's encoding of the room's summary, by its origin
    origin: Holder | None  # None: nobody holds it (its origin died; a takeover is due)
    counts: dict[str, int]  # members connected per node

    @property
    def members(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    since: float | None = None  # wall clock when Redis became unreachable

    def describe(self) -> str:
        """What /healthz says: `ok`, or since when Redis is unreachable."""
        if self.ok or self.since is None:
            return "ok"
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.since))
        return f"degraded: redis unreachable since {stamp}"


class RoomListener(Protocol):
    """Where a node's subscription delivers a room's events (the hub, in phase 2)."""

    def on_event(self, room_id: str, seq: int, frame: bytes) -> None:
        """One event from the origin, in seq order; deliver it to the local members."""
        ...

    def on_notice(self, room_id: str, target: int, frame: bytes, kick: bool) -> None:
        """A frame outside the numbered stream (counts, who is speaking, a kick),
        for every local member (`target` 0) or one; `kick`: that member is out."""
        ...

    def on_resync(self, room_id: str, reason: str) -> None:
        """Events may have been missed (a gap, a new origin, Redis reconnected):
        ask the origin for a snapshot (forward) and give it to the local members."""
        ...


# A request forwarded to this node as the room's origin: (room, from node,
# body) -> the reply's body.
RequestHandler = Callable[[str, str, bytes], Awaitable[bytes]]
# The lease's state changed (to SUSPENDED, ACTIVE again, LOST or RELEASED).
StateListener = Callable[["Lease", LeaseState], None]


class Outcome(enum.Enum):
    """What became of an origin's write."""

    DONE = "done"
    # Redis could not be reached: the write is lost for the other nodes (they
    # resync when it is back; the mirror is written again in full).
    UNSENT = "unsent"


class Lease(Protocol):
    room_id: str
    epoch: int

    @property
    def state(self) -> LeaseState: ...

    @property
    def active(self) -> bool:
        """May the origin act now? False once the lease's time is up unrenewed."""
        ...

    @property
    def token(self) -> str: ...

    def publish(self, seq: int, frame: bytes) -> Awaitable[Outcome]:
        """Send one event to every subscribed node, in call order.

        Queued at once, so calls made without awaiting keep their order; the
        awaitable tells the outcome, and raises Fenced if Redis refused it.
        """
        ...

    def notify(
        self, target: int, frame: bytes, kick: bool = False, node: str = ""
    ) -> Awaitable[Outcome]:
        """Send a frame that is not a numbered event (a notice) to the nodes,
        in order with the events: for one member (`target`) or all (0), on
        one node (`node`) or every one."""
        ...

    def mirror(
        self,
        upserts: Mapping[int, MemberEntry] | None = None,
        removals: Iterable[int] = (),
        state: bytes | None = None,
    ) -> Awaitable[Outcome]:
        """Record changed members, departed members and the room's own state."""
        ...

    def list(self, summary: bytes) -> Awaitable[Outcome]:
        """Put (or refresh) the room's entry in the cluster directory."""
        ...

    async def release(self) -> None:
        """Give the room up (this node stops): another node may take it at once."""
        ...

    async def close(self) -> None:
        """The room ended: remove its directory entry and volatile state, release."""
        ...


class Cluster(Protocol):
    node_id: str

    async def start(self) -> None: ...

    async def close(self) -> None:
        """Release every lease, leave the registry, disconnect."""
        ...

    def health(self) -> Health: ...

    async def nodes(self) -> list[NodeInfo]:
        """The live nodes (a client's list of servers to reconnect to)."""
        ...

    async def acquire(
        self, room_id: str, *, floor: int = 0, on_state: StateListener | None = None
    ) -> Lease | None:
        """Become the room's origin; None if another node holds it.

        `floor`: the highest epoch known elsewhere (the store's), so that the
        new epoch is above it even if Redis lost its counter. Raises
        Unavailable when Redis cannot be reached.
        """
        ...

    def lease(self, room_id: str) -> Lease | None:
        """This node's lease of the room, if it holds one (active or suspended)."""
        ...

    async def holder(self, room_id: str) -> Holder | None: ...

    async def lease_left(self, room_id: str) -> float | None:
        """Seconds until the room's lease runs out unless its origin renews it
        (Redis's clock); None once nobody holds it. Raises Unavailable."""
        ...

    def serve(self, handler: RequestHandler) -> None:
        """Handle the requests other nodes forward to the rooms this node holds."""
        ...

    async def forward(self, room_id: str, body: bytes, *, timeout: float | None = None) -> bytes:
        """Send a request to the room's origin and return its reply.

        Waits for a new origin when the old one is gone, and retries there;
        raises Unavailable after `timeout`, RemoteError if the origin failed.
        """
        ...

    async def subscribe(self, room_id: str, listener: RoomListener) -> None:
        """Receive the room's events here (while this node has members in it)."""
        ...

    async def unsubscribe(self, room_id: str) -> None: ...

    async def restore(self, room_id: str) -> VolatileRoom | None:
        """The room's volatile part as the last origin left it; None if Redis has none."""
        ...

    async def directory(self) -> list[RoomListing]:
        """Every room listed in the cluster, with its origin and live counts."""
        ...

    async def orphans(self) -> list[str]:
        """Listed rooms that no node holds: their origin died, a takeover is due."""
        ...
