"""A room's state as the core holds it between commands.

Plain mutable dataclasses: the core changes them in place, and only once a
command has passed every check, so that a refusal leaves the room as it was.
"""

from dataclasses import dataclass, field

from app.protocol.model import Role, RoomStatus

# The stage: everyone who may be heard. Its size is bounded by stage_capacity.
STAGE_ROLES = frozenset({Role.HOST, Role.COHOST, Role.SPEAKER})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issues a command: the authenticated user behind a connection."""

    user_id: int
    name: str


@dataclass(slots=True)
class Member:
    user_id: int
    name: str
    role: Role
    joined_at: float
    # When the member got their current role; the longest-serving co-host
    # inherits the room when the host goes.
    role_since: float
    hand_raised_at: float | None = None
    invited: bool = False
    mod_muted: bool = False
    self_muted: bool = False
    connected: bool = True
    # Set while the connection is down; the grace period runs from here.
    disconnected_at: float | None = None

    @property
    def on_stage(self) -> bool:
        return self.role in STAGE_ROLES

    def set_role(self, role: Role, now: float) -> None:
        self.role = role
        self.role_since = now
        if role is not Role.LISTENER:
            # Raised hands and stage invitations are a listener's way up; they
            # mean nothing once on stage, so no stage member ever holds one.
            self.hand_raised_at = None
            self.invited = False


@dataclass(slots=True)
class Room:
    room_id: str
    title: str
    topic: str
    invite_only: bool
    stage_capacity: int
    host_id: int
    created_at: float
    grace_period: float
    locked: bool = False
    hands_enabled: bool = True
    pinned_link: str | None = None
    # The audience mix is being recorded. Not durable: a restart stops it.
    recording: bool = False
    status: RoomStatus = "live"
    ended_at: float | None = None
    # Number of the last event emitted; the next event is seq + 1.
    seq: int = 0
    # In join order, which is the order snapshots list them in.
    members: dict[int, Member] = field(default_factory=dict)
    bans: set[int] = field(default_factory=set)
    invites: set[str] = field(default_factory=set)

    @property
    def live(self) -> bool:
        return self.status == "live"

    def stage(self) -> list[Member]:
        return [m for m in self.members.values() if m.on_stage]

    def stage_full(self) -> bool:
        return len(self.stage()) >= self.stage_capacity

    def hand_queue(self) -> list[Member]:
        """Raised hands, first raised first; user id breaks ties so the order is total."""
        raised = [m for m in self.members.values() if m.hand_raised_at is not None]
        return sorted(raised, key=lambda m: (m.hand_raised_at, m.user_id))
