"""The part of a room that survives a server restart, as the store reads and writes it.

What must survive is who runs the room and who is on its stage, the queue of
raised hands, its bans and its invite links. Other listeners are not durable:
after a restart they reconnect and join again.
"""

from dataclasses import dataclass

from app.protocol.model import Role, RoomStatus


@dataclass(frozen=True, slots=True)
class DurableMember:
    user_id: int
    name: str
    role: Role  # LISTENER only with a raised hand
    joined_at: float
    # When the member got their current role; the longest-serving co-host
    # (smallest role_since) becomes host if the host does not come back.
    role_since: float
    mod_muted: bool
    # A listener's raised hand: when it went up (its place in the queue).
    hand_raised_at: float | None = None


@dataclass(frozen=True, slots=True)
class DurableRoom:
    room_id: str
    title: str
    topic: str
    invite_only: bool
    stage_capacity: int
    locked: bool
    hands_enabled: bool
    pinned_link: str | None
    status: RoomStatus
    host_id: int
    created_at: float
    ended_at: float | None
    members: tuple[DurableMember, ...]
    bans: frozenset[int]
    invites: frozenset[str]
    # As loaded: the lease epoch of the cluster origin that saved it (0: a
    # single process). The core never sets it; the shell fences saves with it.
    epoch: int = 0
