"""Events the server pushes to every member of a room.

Room events are wrapped in an `event` message with the room's sequence
number; a client that sees a gap sends `sync` and gets a full snapshot.
A member's every change is one `member_updated` with the whole new view, so
that a client never has to merge partial updates; `cause` says why, for
notifications.
"""

from typing import Literal

import msgspec

from app.protocol.model import FloorState, MemberView, Reaction


class RoomEvent(msgspec.Struct, tag_field="kind", forbid_unknown_fields=False, kw_only=True):
    pass


class MemberJoined(RoomEvent, tag="member_joined"):
    member: MemberView


LeaveReason = Literal["left", "removed", "banned", "timed_out"]


class MemberLeft(RoomEvent, tag="member_left"):
    user_id: int
    reason: LeaveReason


UpdateCause = Literal[
    "hand_raised",
    "hand_lowered",
    "hand_approved",
    "hand_denied",
    "invited",
    "invite_accepted",
    "invite_declined",
    "moved_to_audience",
    "left_stage",
    "muted",
    "unmuted",
    "self_muted",
    "self_unmuted",
    "made_cohost",
    "unmade_cohost",
    "became_host",
    "disconnected",
    "reconnected",
    "hands_disabled",
    "talk_mode_changed",
]


class MemberUpdated(RoomEvent, tag="member_updated"):
    member: MemberView
    cause: UpdateCause
    # Who caused it, when it was someone else (a moderator).
    by: int | None = None


class RoomUpdated(RoomEvent, tag="room_updated"):
    """Room-wide settings changed; carries the new values of all of them."""

    topic: str
    locked: bool
    hands_enabled: bool
    pinned_link: str | None
    host_id: int
    by: int | None = None


class Reacted(RoomEvent, tag="reacted"):
    user_id: int
    reaction: Reaction


RecordingStopReason = Literal["room_ended", "failed", "server_restarted"]


class RecordingChanged(RoomEvent, tag="recording_changed"):
    """Recording of the room's audience mix started or stopped."""

    recording: bool
    # The moderator who switched it; None when the server stopped it.
    by: int | None = None
    # Why the server stopped it; None when a moderator switched it.
    reason: RecordingStopReason | None = None
    # Human-readable detail of a failure (e.g. "No space left on device").
    detail: str | None = None


class FloorChanged(RoomEvent, tag="floor_changed"):
    """Floor control's state changed: switched, taken, queued for, handed over."""

    floor: FloorState
    # The moderator who switched it or took the floor; None otherwise.
    by: int | None = None


EndReason = Literal["ended_by_host", "no_moderator", "host_left"]


class RoomEnded(RoomEvent, tag="room_ended"):
    reason: EndReason


AnyRoomEvent = (
    MemberJoined
    | MemberLeft
    | MemberUpdated
    | RoomUpdated
    | Reacted
    | RoomEnded
    | RecordingChanged
    | FloorChanged
)
