"""Data shapes shared by requests, replies and events."""

from enum import StrEnum
from typing import Literal

import msgspec


class Role(StrEnum):
    HOST = "host"
    COHOST = "cohost"
    SPEAKER = "speaker"
    LISTENER = "listener"


# The stage: everyone who may be heard (its size is bounded by stage_capacity).
STAGE_ROLES = frozenset({Role.HOST, Role.COHOST, Role.SPEAKER})


class Action(StrEnum):
    """What a member may do in a room: the permission table's columns (the
    server's `app/server/rooms/permissions.py`). Each member is sent the ones
    they may take (`RoomSnapshot.allowed`, the `allowed` message), so that a
    client shows what the server allows instead of re-deriving the rules."""

    # Anyone in the room.
    LEAVE_ROOM = "leave_room"
    REACT = "react"
    # The audience's way up.
    RAISE_HAND = "raise_hand"
    LOWER_HAND = "lower_hand"
    ACCEPT_INVITE = "accept_invite"
    DECLINE_INVITE = "decline_invite"
    # Being on stage.
    SELF_MUTE = "self_mute"
    SELF_UNMUTE = "self_unmute"
    PUSH_TO_TALK = "push_to_talk"
    SET_TALK_MODE = "set_talk_mode"
    LEAVE_STAGE = "leave_stage"
    # Moderation.
    APPROVE_HAND = "approve_hand"
    DENY_HAND = "deny_hand"
    INVITE_TO_STAGE = "invite_to_stage"
    MOVE_TO_AUDIENCE = "move_to_audience"
    MUTE = "mute"
    UNMUTE = "unmute"
    MUTE_ALL = "mute_all"
    REMOVE = "remove"
    BAN = "ban"
    UNBAN = "unban"
    SET_LOCKED = "set_locked"
    SET_HANDS_ENABLED = "set_hands_enabled"
    SET_TOPIC = "set_topic"
    PIN_LINK = "pin_link"
    ADD_INVITE = "add_invite"
    SET_RECORDING = "set_recording"
    SET_FLOOR_CONTROL = "set_floor_control"
    # Reading the audience one by one (pages and search); listeners only get counts.
    LIST_AUDIENCE = "list_audience"
    # Reading the room's ban list (names included), to lift a ban.
    LIST_BANS = "list_bans"
    # The host's alone.
    END_ROOM = "end_room"
    MAKE_COHOST = "make_cohost"
    UNMAKE_COHOST = "unmake_cohost"


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
    # Talks by voice activity (their app presses push-to-talk when they speak).
    voice_activity: bool = False


class FloorState(msgspec.Struct, frozen=True, kw_only=True):
    """Floor control ("one speaker at a time"): while `enabled`, only `holder`
    is heard; `queue` is who pressed push-to-talk meanwhile, first pressed
    first. The whole state in every `floor_changed`, so clients replace it."""

    enabled: bool = False
    # Seconds a turn may last while someone waits; None: no limit.
    max_turn: float | None = None
    holder: int | None = None
    # Server time the holder got the floor.
    since: float | None = None
    queue: list[int] = msgspec.field(default_factory=list)


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
    # What the member it was made for may do now; the `allowed` message
    # replaces it when that changes. Empty from a server older than this field.
    allowed: list[Action] = msgspec.field(default_factory=list)
    floor: FloorState = msgspec.field(default_factory=FloorState)


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


# Who may play a finished recording: the room's audience ("public") or its
# moderators ("private"); "deleted" is the host's third choice, which leaves
# nothing to play.
ReplayVisibility = Literal["public", "private"]
ReplayChoice = Literal["public", "private", "deleted"]


class ReplayInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One replay the caller may play (`open_replay`)."""

    recording_id: int
    room_id: str
    room_title: str
    started_at: float
    ended_at: float
    duration: float
    visibility: ReplayVisibility
    invite_only: bool
    # The caller hosted the room: they may change who sees it, or delete it.
    manage: bool = False


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
