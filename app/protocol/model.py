"""Data shapes shared by requests, replies and events."""

from enum import StrEnum
from typing import Literal

import msgspec


class Role(StrEnum):
    HOST = "host"
    COHOST = "cohost"
    SPEAKER = "speaker"
    LISTENER = "listener"


# Reactions are a fixed palette so that a client cannot push arbitrary text
# to every listener through them.
Reaction = Literal["clap", "laugh", "heart", "fire", "hundred", "raised_hands", "thinking", "wave"]

RoomStatus = Literal["live", "ended"]


class MemberView(msgspec.Struct, frozen=True, kw_only=True):
    """One participant as every member of the room sees them."""

    user_id: int
    name: str
    role: Role
    joined_at: float
    # Server time the hand went up; the hand queue is ordered by it.
    hand_raised_at: float | None = None
    # A moderator has invited this listener to the stage; they have not answered.
    invited: bool = False
    # Muted by a moderator: holds until a moderator lifts it.
    mod_muted: bool = False
    self_muted: bool = False
    # False while the connection is down and the grace period runs.
    connected: bool = True


class AudienceCount(msgspec.Struct, frozen=True, kw_only=True):
    """The audience as a summary (protocol 2): listeners are counted, not listed."""

    # Listeners whose connection is up (those within their grace period are not counted).
    listeners: int = 0
    # Raised hands: the length of the hand queue.
    hands: int = 0


class RoomSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A room as one member sees it; `seq` is the last event it includes.

    Since protocol 2 `members` lists the stage, every listener with a raised
    hand or an open invitation, and the member it was made for: its size does
    not grow with the audience, which `audience` counts.
    """

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
    seq: int
    members: list[MemberView]
    # The audience mix is being written to a file (the "being recorded" banner).
    recording: bool = False
    audience: AudienceCount = msgspec.field(default_factory=AudienceCount)
    # Which media plane serves the room: it changes when the room moved to
    # another node of a cluster (a takeover), whose plane knows none of the
    # old peer connections, so a client that sees it change offers again.
    media_epoch: int = 0


class BannedUser(msgspec.Struct, frozen=True, kw_only=True):
    """One user in a `ban_list` reply."""

    user_id: int
    name: str


class ReactionSender(msgspec.Struct, frozen=True, kw_only=True):
    """One named sender in a `reactions` burst."""

    user_id: int
    name: str
    reaction: Reaction


class RoomSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A directory entry."""

    room_id: str
    title: str
    topic: str
    invite_only: bool
    host_name: str
    speakers: int
    listeners: int
    locked: bool
    recording: bool = False


class RecordingInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One recording the caller may download (GET /recordings/{recording_id})."""

    recording_id: int
    room_id: str
    room_title: str
    started_at: float
    # None while it is still being recorded.
    ended_at: float | None = None
    duration: float = 0.0
    bytes: int = 0


# A scheduled room's life: waiting for its start, started (a live room now),
# called off by its host, or never started within the grace time.
ScheduleStatus = Literal["scheduled", "live", "cancelled", "missed"]


class ScheduledRoom(msgspec.Struct, frozen=True, kw_only=True):
    """A room planned for later, as the one who asked sees it (the Upcoming
    section, replies and `schedule_notice`). Times are epoch seconds (UTC);
    clients show them in the user's own time zone."""

    schedule_id: str
    title: str
    topic: str
    starts_at: float
    invite_only: bool
    host_id: int
    host_name: str
    # Usernames invited ahead: they are in place on the stage when it starts.
    cohosts: list[str]
    speakers: list[str]
    status: ScheduleStatus
    # The live room once the host started it; None before.
    room_id: str | None = None
    # How many asked to be reminded, and whether the viewer is one of them.
    reminders: int = 0
    reminded: bool = False
