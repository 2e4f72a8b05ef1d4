"""A room's state as the core holds it between commands.

Plain mutable dataclasses: the core changes them in place, and only once a
command has passed every check, so that a refusal leaves the room as it was.

Besides `members`, a room keeps indexes so that no join, leave or snapshot
walks the whole audience: who is shown to everyone one by one (the stage,
raised hands, open invitations), who is counted (connected listeners, hands),
the listeners by name (a moderator's pages) and who is away (the grace
clock). `reindex` brings them in line with one member; the core calls it for
every member an event is about, and every change to a member is an event.
"""

from dataclasses import dataclass, field
from typing import NewType

from sortedcontainers import SortedList

from app.protocol.model import STAGE_ROLES, Role, RoomStatus

# A member as the media plane knows them (its peers, sources and levels are
# keyed by it): the user id as text. Typed, so that a raw str or int handed to
# the plane is a type error; `participant_id` is the one way to make one.
ParticipantId = NewType("ParticipantId", str)


def participant_id(user_id: int) -> ParticipantId:
    return ParticipantId(str(user_id))


def user_id_of(pid: ParticipantId) -> int:
    """The user behind a participant id (the inverse of `participant_id`)."""
    return int(pid)


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
    # Holding push-to-talk, as the server last heard from them. Not durable and
    # never shown: it only decides, with the rest, whether the mix carries them.
    ptt_held: bool = False
    # Their app presses push-to-talk by detecting speech (shown as a badge).
    voice_activity: bool = False
    connected: bool = True
    # Set while the connection is down; the grace period runs from here.
    disconnected_at: float | None = None

    @property
    def on_stage(self) -> bool:
        return self.role in STAGE_ROLES

    @property
    def shown(self) -> bool:
        """Shown to everyone one by one; other listeners are only counted."""
        return self.role in STAGE_ROLES or self.hand_raised_at is not None or self.invited

    def set_role(self, role: Role, now: float) -> None:
        self.role = role
        self.role_since = now
        if role not in STAGE_ROLES:
            self.ptt_held = False  # only the stage holds the key
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
    # Floor control ("one speaker at a time", see floor.py). Not durable: a
    # restart turns it off, as it stops a recording.
    floor_control: bool = False
    max_turn: float | None = None
    floor_holder: int | None = None
    floor_since: float | None = None
    # Who waits for the floor, first pressed first; and when the gap after
    # the last turn ends (no handover before it).
    floor_queue: list[int] = field(default_factory=list)
    floor_free_at: float = 0.0
    status: RoomStatus = "live"
    ended_at: float | None = None
    # Number of the last event emitted; the next event is seq + 1.
    seq: int = 0
    # In join order, which is the order snapshots list them in.
    members: dict[int, Member] = field(default_factory=dict)
    bans: set[int] = field(default_factory=set)
    invites: set[str] = field(default_factory=set)
    # The indexes (see the module's docstring); only `reindex` changes them.
    shown: dict[int, Member] = field(default_factory=dict)
    present: set[int] = field(default_factory=set)
    hands: set[int] = field(default_factory=set)
    names: "SortedList[tuple[str, int]]" = field(default_factory=SortedList)
    name_keys: dict[int, tuple[str, int]] = field(default_factory=dict)
    away: dict[int, float] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.status == "live"

    def reindex(self, user_id: int) -> None:
        """Bring every index in line with this member's state (or absence)."""
        m = self.members.get(user_id)
        if m is not None and m.shown:
            self.shown[user_id] = m
        else:
            self.shown.pop(user_id, None)
        listener = m is not None and m.role is Role.LISTENER
        if listener and m is not None and m.connected:
            self.present.add(user_id)
        else:
            self.present.discard(user_id)
        if m is not None and m.hand_raised_at is not None:
            self.hands.add(user_id)
        else:
            self.hands.discard(user_id)
        key = self.name_keys.get(user_id)
        if listener and key is None and m is not None:
            key = self.name_keys[user_id] = (m.name.casefold(), user_id)
            self.names.add(key)
        elif not listener and key is not None:
            del self.name_keys[user_id]
            self.names.remove(key)
        if m is not None and m.disconnected_at is not None:
            self.away[user_id] = m.disconnected_at
        else:
            self.away.pop(user_id, None)

    def reindex_all(self) -> None:
        for user_id in list(self.members):
            self.reindex(user_id)

    def stage(self) -> list[Member]:
        return [m for m in self.shown.values() if m.on_stage]

    def holding_ptt(self) -> frozenset[int]:
        """Who holds push-to-talk (only the stage can)."""
        return frozenset(m.user_id for m in self.stage() if m.ptt_held)

    def stage_full(self) -> bool:
        return len(self.stage()) >= self.stage_capacity

    def hand_queue(self) -> list[Member]:
        """Raised hands, first raised first; user id breaks ties so the order is total."""
        raised = [m for m in self.shown.values() if m.hand_raised_at is not None]
        return sorted(raised, key=lambda m: (m.hand_raised_at, m.user_id))
