"""Every Redis key and channel name the cluster uses, in one place.

A room's keys and channels share one hash tag, `{r:ROOM}`, so that they sit
in one slot: each fenced script checks the room's lease and writes, or
publishes, in that same slot, as Redis Cluster requires of a script. The
node registry and the directory's index are the only keys outside a room.

Pub/sub channels are not scoped by the database number in the URL, so the
namespace carries it: two clusters on one Redis (databases 0 and 1) never
hear each other.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RoomKeys:
    lease: str  # "NODE:EPOCH" of the origin, with the lease's expiry (PX)
    epoch: str  # hash {n: last epoch issued, by: node it went to}; survives the lease
    seq: str  # the last event seq the origin published
    members: str  # hash user id -> the member's volatile part (opaque bytes)
    where: str  # hash user id -> node the member is connected to
    counts: str  # hash node -> members connected there
    state: str  # the room's own volatile part (opaque bytes)
    listing: str  # the directory entry (opaque bytes, the room's summary)
    events: str  # channel: the room's events, once per event, from the origin
    rpc: str  # channel: requests forwarded to the origin

    def replies(self, node_id: str) -> str:
        """Channel: the origin's replies to one node's forwarded requests."""
        return f"{self.rpc}:to:{node_id}"

    def mirror(self) -> list[str]:
        """The keys the volatile mirror writes, in the order the scripts take them."""
        return [self.members, self.where, self.counts, self.state]


@dataclass(frozen=True, slots=True)
class Keys:
    namespace: str

    @classmethod
    def for_database(cls, prefix: str, db: int) -> "Keys":
        return cls(f"{prefix}:{db}")

    def room(self, room_id: str) -> RoomKeys:
        if "{" in room_id or "}" in room_id:
            # A brace would move the key out of the room's hash slot.
            raise ValueError(f"a room id may not contain braces: {room_id!r}")
        base = f"{self.namespace}:{{r:{room_id}}}"
        return RoomKeys(
            lease=f"{base}:lease",
            epoch=f"{base}:epoch",
            seq=f"{base}:seq",
            members=f"{base}:members",
            where=f"{base}:where",
            counts=f"{base}:counts",
            state=f"{base}:state",
            listing=f"{base}:listing",
            events=f"{base}:events",
            rpc=f"{base}:rpc",
        )

    @property
    def nodes(self) -> str:
        """Sorted set: node id -> when its heartbeat runs out (Redis time, ms)."""
        return f"{self.namespace}:{{nodes}}:alive"

    @property
    def node_info(self) -> str:
        """Hash: node id -> its NodeInfo (JSON)."""
        return f"{self.namespace}:{{nodes}}:info"

    def secret(self, name: str) -> str:
        """String: a secret every node shares (e.g. the HLS tokens' key)."""
        return f"{self.namespace}:{{nodes}}:secret:{name}"

    @property
    def rooms(self) -> str:
        """Set: the ids of the rooms that have a directory entry."""
        return f"{self.namespace}:{{dir}}:rooms"
