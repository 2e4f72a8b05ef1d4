"""Client-to-server requests. Each gets exactly one reply, matched by its `id`.

The `id` is the envelope's, not the request's: on the wire it sits beside the
request's fields (`{"type": "mute", "id": 7, "user_id": 3}`), but in Python a
request is only its body, and the codec pairs it with its id
(`codec.Envelope`, `codec.encode_request`).

Every number and string is bounded here, in the schema (`msgspec.Meta`), so
that nothing out of range reaches the room core or the database: a value
outside its bounds is refused with `invalid` as the frame is decoded.
"""

from typing import Annotated

import msgspec

from app.protocol.model import Reaction, ReplayChoice
from app.protocol.text import display_text

# Field limits. Those whose breach has its own error code (usernames,
# passwords) are checked exactly by the server; the schema bounds them more
# loosely, only so that no field can be arbitrarily large.
MAX_TITLE = 100
MAX_TOPIC = 280
MAX_URL = 2048
MAX_PASSWORD = 1024
MIN_PASSWORD = 8
MAX_STAGE_CAPACITY = 50
# User ids fit a signed 32-bit column on every database we store them in.
MAX_USER_ID = 2**31 - 1
# Request ids are exact in every JSON implementation (an IEEE double).
MAX_REQUEST_ID = 2**53 - 1
MAX_NAME_FIELD = 64
MAX_PASSWORD_FIELD = 4096
MAX_TOKEN = 256
MAX_ROOM_ID = 64
MAX_INVITE_CODE = 64
MAX_CLIENT_NAME = 200
MAX_SDP = 32 * 1024
# Scheduled rooms: how many people may be invited ahead (the default stage
# holds 13, the host included), and the bounds of a start time (epoch
# seconds; the server checks it against its own clock too).
MAX_INVITED_AHEAD = 12
MAX_SCHEDULE_ID = 64
MAX_EPOCH = 10**11

UserId = Annotated[int, msgspec.Meta(ge=1, le=MAX_USER_ID)]
RequestId = Annotated[int, msgspec.Meta(ge=0, le=MAX_REQUEST_ID)]
RoomId = Annotated[str, msgspec.Meta(max_length=MAX_ROOM_ID)]

# Bounds of `list_audience`.
MAX_PAGE = 200
MAX_CURSOR = 80


class Request(msgspec.Struct, tag_field="type", kw_only=True):
    """Unknown fields are ignored, so a newer client's additions do not break
    an older server (the append-only rule); unknown types are refused."""


# Session -------------------------------------------------------------------


class Hello(Request, tag="hello"):
    protocol: Annotated[int, msgspec.Meta(ge=0, le=MAX_USER_ID)]
    client: Annotated[str, msgspec.Meta(max_length=MAX_CLIENT_NAME)] = ""


class Register(Request, tag="register"):
    username: Annotated[str, msgspec.Meta(max_length=MAX_NAME_FIELD)]
    password: Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_FIELD)]


class Login(Request, tag="login"):
    username: Annotated[str, msgspec.Meta(max_length=MAX_NAME_FIELD)]
    password: Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_FIELD)]


class Resume(Request, tag="resume"):
    token: Annotated[str, msgspec.Meta(max_length=MAX_TOKEN)]


class Logout(Request, tag="logout"):
    pass


# Directory and room life ------------------------------------------------------


class ListRooms(Request, tag="list_rooms"):
    pass


class CreateRoom(Request, tag="create_room"):
    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)]
    topic: Annotated[str, msgspec.Meta(max_length=MAX_TOPIC)] = ""
    invite_only: bool = False
    stage_capacity: Annotated[int, msgspec.Meta(ge=1, le=MAX_STAGE_CAPACITY)] = 13

    def __post_init__(self) -> None:
        self.title = display_text(self.title, "a title")
        self.topic = display_text(self.topic, "a topic")


class JoinRoom(Request, tag="join_room"):
    room_id: RoomId
    invite_code: Annotated[str, msgspec.Meta(max_length=MAX_INVITE_CODE)] | None = None


class LeaveRoom(Request, tag="leave_room"):
    pass


class Sync(Request, tag="sync"):
    """Ask for a full snapshot, e.g. after noticing a gap in event `seq`."""


class CreateInvite(Request, tag="create_invite"):
    pass


class EndRoom(Request, tag="end_room"):
    """End the room (the host). `replay`: what becomes of its recording, if
    one ran; none given keeps it `private` (moderators only)."""

    replay: ReplayChoice | None = None


# Audience and stage ---------------------------------------------------------


class RaiseHand(Request, tag="raise_hand"):
    pass


class LowerHand(Request, tag="lower_hand"):
    pass


class AcceptInvite(Request, tag="accept_invite"):
    pass


class DeclineInvite(Request, tag="decline_invite"):
    pass


class LeaveStage(Request, tag="leave_stage"):
    pass


class SelfMute(Request, tag="self_mute"):
    muted: bool


class React(Request, tag="react"):
    reaction: Reaction


# Moderation -------------------------------------------------------------------


class ApproveHand(Request, tag="approve_hand"):
    user_id: UserId


class DenyHand(Request, tag="deny_hand"):
    user_id: UserId


class InviteToStage(Request, tag="invite_to_stage"):
    user_id: UserId


class MoveToAudience(Request, tag="move_to_audience"):
    user_id: UserId


class Mute(Request, tag="mute"):
    user_id: UserId


class Unmute(Request, tag="unmute"):
    user_id: UserId


class MuteAll(Request, tag="mute_all"):
    pass


class Remove(Request, tag="remove"):
    user_id: UserId


class Ban(Request, tag="ban"):
    user_id: UserId


class Unban(Request, tag="unban"):
    user_id: UserId


class MakeCohost(Request, tag="make_cohost"):
    user_id: UserId


class UnmakeCohost(Request, tag="unmake_cohost"):
    user_id: UserId


class SetLocked(Request, tag="set_locked"):
    locked: bool


class SetHandsEnabled(Request, tag="set_hands_enabled"):
    enabled: bool


# Floor control's longest turn, in whole seconds (a moderator's setting).
MIN_TURN = 5
MAX_TURN = 3600


class SetFloorControl(Request, tag="set_floor_control"):
    """Switch floor control ("one speaker at a time") on or off. `max_turn`
    (seconds) ends a turn that long when someone else is waiting; None: no
    limit."""

    enabled: bool
    max_turn: Annotated[int, msgspec.Meta(ge=MIN_TURN, le=MAX_TURN)] | None = None


class SetTalkMode(Request, tag="set_talk_mode"):
    """A stage member says how they talk: `voice_activity` true when their app
    presses and releases push-to-talk by detecting speech, so others see a
    badge. The server's rules do not change: it is push-to-talk all the same."""

    voice_activity: bool


class SetTopic(Request, tag="set_topic"):
    topic: Annotated[str, msgspec.Meta(max_length=MAX_TOPIC)]

    def __post_init__(self) -> None:
        self.topic = display_text(self.topic, "a topic")


class PinLink(Request, tag="pin_link"):
    """Pin a link for everyone; `url` None unpins."""

    url: Annotated[str, msgspec.Meta(max_length=MAX_URL)] | None


class ListAudience(Request, tag="list_audience"):
    """A page of the room's listeners, by name (moderators). Pages stay
    correct while people come and go: pass the reply's `next` as `after`."""

    # The `next` of the previous page; None for the first.
    after: Annotated[str, msgspec.Meta(max_length=MAX_CURSOR)] | None = None
    # Only names starting with this, compared case-insensitively.
    prefix: Annotated[str, msgspec.Meta(max_length=32)] = ""
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE)] = 50


class ListBans(Request, tag="list_bans"):
    """The users banned from this room, with their names (moderators)."""


class SetRecording(Request, tag="set_recording"):
    """Start (`on`) or stop recording the room's audience mix to a file."""

    on: bool


# Recordings -------------------------------------------------------------------


class ListRecordings(Request, tag="list_recordings"):
    """The recordings this user may download: those they started, and those of
    rooms they hosted."""


# Replays ----------------------------------------------------------------------

RecordingId = Annotated[int, msgspec.Meta(ge=1, le=MAX_USER_ID)]


class ListReplays(Request, tag="list_replays"):
    """The finished recordings this user may play, newest first."""


class OpenReplay(Request, tag="open_replay"):
    """A short-lived link to play one replay over HTTP (with seeking)."""

    recording_id: RecordingId


class SetReplay(Request, tag="set_replay"):
    """The room's host: make a replay public or private, or delete it."""

    recording_id: RecordingId
    replay: ReplayChoice


# Scheduled rooms ---------------------------------------------------------------

ScheduleId = Annotated[str, msgspec.Meta(max_length=MAX_SCHEDULE_ID)]
StartTime = Annotated[float, msgspec.Meta(ge=0, le=MAX_EPOCH)]
Invitees = Annotated[
    list[Annotated[str, msgspec.Meta(max_length=MAX_NAME_FIELD)]],
    msgspec.Meta(max_length=MAX_INVITED_AHEAD),
]


class ScheduleRoom(Request, tag="schedule_room"):
    """Plan a room for later; the caller is its host. `cohosts` and `speakers`
    are usernames, in place on the stage once the host starts it."""

    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)]
    starts_at: StartTime
    topic: Annotated[str, msgspec.Meta(max_length=MAX_TOPIC)] = ""
    invite_only: bool = False
    cohosts: Invitees = []
    speakers: Invitees = []

    def __post_init__(self) -> None:
        self.title = display_text(self.title, "a title")
        self.topic = display_text(self.topic, "a topic")


class EditScheduled(Request, tag="edit_scheduled"):
    """Replace a scheduled room's plan (the host only): every field as it shall be."""

    schedule_id: ScheduleId
    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)]
    starts_at: StartTime
    topic: Annotated[str, msgspec.Meta(max_length=MAX_TOPIC)] = ""
    invite_only: bool = False
    cohosts: Invitees = []
    speakers: Invitees = []

    def __post_init__(self) -> None:
        self.title = display_text(self.title, "a title")
        self.topic = display_text(self.topic, "a topic")


class CancelScheduled(Request, tag="cancel_scheduled"):
    schedule_id: ScheduleId


class StartScheduled(Request, tag="start_scheduled"):
    """Start now: the scheduled room becomes a live room hosted by the caller."""

    schedule_id: ScheduleId


class ListUpcoming(Request, tag="list_upcoming"):
    """The scheduled rooms the caller may see that have not started yet."""


class SetReminder(Request, tag="set_reminder"):
    schedule_id: ScheduleId
    on: bool


# Media ---------------------------------------------------------------------


class MediaOffer(Request, tag="media_offer"):
    """Open this member's audio peer connection, or replace it after it failed
    (aiortc has no ICE restart). The reply carries the server's answer."""

    sdp: Annotated[str, msgspec.Meta(max_length=MAX_SDP)]


class PushToTalk(Request, tag="push_to_talk"):
    """Press or release push-to-talk. The server mixes a stage member's audio
    only while it is held; a client should also stop sending when released."""

    pressed: bool


class ListenBroadcast(Request, tag="listen_broadcast"):
    """Where this member can listen to the room's broadcast (HLS, a few seconds
    behind): asked after `media_offer` was refused `broadcast_only`, or by a
    client that prefers it. The reply is a `broadcast_stream`."""


# Per-speaker volume (percent of the speaker's own level), and how many
# speakers one request may set (the stage's largest capacity).
MAX_SPEAKER_VOLUME = 200
Percent = Annotated[int, msgspec.Meta(ge=0, le=MAX_SPEAKER_VOLUME)]


class SetSpeakerVolumes(Request, tag="set_speaker_volumes"):
    """How loud this member hears each speaker, by user id, in percent; the
    whole set each time (an empty one, or only 100s, is the shared mix again).
    Only the sender's own audio changes."""

    volumes: Annotated[dict[UserId, Percent], msgspec.Meta(max_length=MAX_STAGE_CAPACITY)]


SessionRequest = Hello | Register | Login | Resume | Logout
DirectoryRequest = ListRooms | CreateRoom | JoinRoom | ListRecordings
ReplayRequest = ListReplays | OpenReplay | SetReplay
ScheduleRequest = (
    ScheduleRoom | EditScheduled | CancelScheduled | StartScheduled | ListUpcoming | SetReminder
)
RoomRequest = (
    LeaveRoom
    | Sync
    | CreateInvite
    | EndRoom
    | RaiseHand
    | LowerHand
    | AcceptInvite
    | DeclineInvite
    | LeaveStage
    | SelfMute
    | React
    | ApproveHand
    | DenyHand
    | InviteToStage
    | MoveToAudience
    | Mute
    | Unmute
    | MuteAll
    | Remove
    | Ban
    | Unban
    | MakeCohost
    | UnmakeCohost
    | SetLocked
    | SetHandsEnabled
    | SetFloorControl
    | SetTalkMode
    | SetTopic
    | PinLink
    | SetRecording
    | ListAudience
    | ListBans
)
MediaRequest = MediaOffer | PushToTalk | ListenBroadcast | SetSpeakerVolumes
ClientMessage = (
    SessionRequest | DirectoryRequest | RoomRequest | MediaRequest | ScheduleRequest | ReplayRequest
)
