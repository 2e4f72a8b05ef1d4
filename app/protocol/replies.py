"""Server-to-client messages: replies to requests, room events, and kicks."""

from typing import Literal

import msgspec

from app.protocol.events import AnyRoomEvent
from app.protocol.model import (
    Action,
    BannedUser,
    MemberView,
    Reaction,
    ReactionSender,
    RecordingInfo,
    ReplayInfo,
    RoomSnapshot,
    RoomSummary,
    ScheduledRoom,
)


class ReplyData(msgspec.Struct, tag_field="kind", forbid_unknown_fields=False, kw_only=True):
    pass


class Welcome(ReplyData, tag="welcome", omit_defaults=True):
    """Reply to `hello`. (`nodes` is left out when empty: a single server's
    welcome stays as it was before clusters.)"""

    protocol: int
    server: str
    max_message_bytes: int
    # A cluster's live nodes (their WebSocket URLs), to reconnect to when
    # this one goes away; empty from a single server.
    nodes: list[str] = []


class Authenticated(ReplyData, tag="authenticated"):
    """Reply to `register`, `login` and `resume`. Keep `token` secret."""

    user_id: int
    username: str
    token: str
    expires_at: float


class RoomList(ReplyData, tag="room_list"):
    rooms: list[RoomSummary]


class RoomState(ReplyData, tag="room_state"):
    """Reply to `create_room`, `join_room` and `sync`."""

    room: RoomSnapshot


class InviteCreated(ReplyData, tag="invite_created"):
    code: str
    link: str


class MediaAnswer(ReplyData, tag="media_answer", omit_defaults=True):
    """Reply to `media_offer`: the server's SDP answer. `relayed`: the node
    this connection is on carries the link itself (its edge relay of a room
    held elsewhere), so a new media epoch (a takeover) leaves the link as it
    is: the node follows the new origin, and says `offer_again` if the link
    must move. Left out when false (older clients ignore it)."""

    sdp: str
    relayed: bool = False


class RecordingList(ReplyData, tag="recording_list"):
    """Reply to `list_recordings`, newest first."""

    recordings: list[RecordingInfo]


class AudiencePage(ReplyData, tag="audience_page"):
    """Reply to `list_audience`: listeners in name order (case-insensitive, then user id)."""

    members: list[MemberView]
    # Pass as `after` for the next page; None when this page reached the end.
    next: str | None
    # Listeners matching the prefix right now (all of them without one).
    matched: int


class BanList(ReplyData, tag="ban_list"):
    """Reply to `list_bans`: the room's banned users by name (case-insensitive,
    then user id), at most `MAX_BANS_LISTED`; `total` counts them all."""

    bans: list[BannedUser]
    total: int


class BroadcastStream(ReplyData, tag="broadcast_stream"):
    """Reply to `listen_broadcast`: the room's HLS playlist on the server that
    answered, as a path for its HTTP address (an invite-only room's carries a
    signed token that ends with the member's place in the room)."""

    playlist: str
    # Roughly how far behind the live room a player is (segment length x the
    # segments a player buffers), for the "a few seconds behind" label.
    behind_seconds: float


class Scheduled(ReplyData, tag="scheduled"):
    """Reply to `schedule_room`, `edit_scheduled`, `cancel_scheduled` and `set_reminder`."""

    room: ScheduledRoom


class UpcomingList(ReplyData, tag="upcoming"):
    """Reply to `list_upcoming`: soonest first."""

    rooms: list[ScheduledRoom]


class ReplayList(ReplyData, tag="replay_list"):
    """Reply to `list_replays`, newest first."""

    replays: list[ReplayInfo]


class ReplayStream(ReplyData, tag="replay_stream"):
    """Reply to `open_replay`: the replay's Ogg Opus file as a path on the
    server's HTTP address, carrying a signed token that expires at
    `expires_at` (ask again for a new one). GET and HEAD, with Range."""

    url: str
    expires_at: float
    replay: ReplayInfo


# A ban list reply stays far below the transport's frame limit.
MAX_BANS_LISTED = 500

AnyReplyData = (
    Welcome
    | Authenticated
    | RoomList
    | RoomState
    | InviteCreated
    | MediaAnswer
    | RecordingList
    | AudiencePage
    | BanList
    | BroadcastStream
    | Scheduled
    | UpcomingList
    | ReplayList
    | ReplayStream
)


class ServerMessage(msgspec.Struct, tag_field="type", forbid_unknown_fields=False, kw_only=True):
    pass


class Ok(ServerMessage, tag="ok"):
    """The one reply to request `id` that succeeded; `data` is None when there is nothing to say."""

    id: int
    data: AnyReplyData | None = None


class Error(ServerMessage, tag="error"):
    """The one reply to a refused request; `id` is None when the request could not be read."""

    id: int | None
    code: str
    message: str
    # With `busy`: seconds to wait before asking again.
    retry_after: float | None = None


class Event(ServerMessage, tag="event", omit_defaults=True):
    """A room event; `seq` rises by one per event in that room. (`media_epoch`
    is left out when 0: a single server's events stay as they were.)"""

    room_id: str
    seq: int
    event: AnyRoomEvent
    # In a cluster: the room's media epoch (as in its snapshot). A new one
    # means the room moved to another node: offer the audio again at once.
    media_epoch: int = 0


KickReason = Literal["left", "removed", "banned", "timed_out", "replaced", "ended"]


class Kicked(ServerMessage, tag="kicked"):
    """This connection no longer holds its place in the room (removed, banned, replaced, ended)."""

    room_id: str
    reason: KickReason


class Speaking(ServerMessage, tag="speaking"):
    """Who is being heard and how loud (0.0-1.0), a few times a second while
    anyone is; an empty list once everyone fell silent. Not numbered: a
    missed one is simply replaced by the next."""

    room_id: str
    levels: list[tuple[int, float]]


class StorageStatus(ServerMessage, tag="storage_status"):
    """To a room's moderators: whether the room's changes are being saved.

    `saved` False: the server could not store the room's changes since
    `since` (storage full, read-only, down or hung); the room goes on from
    memory and the server keeps retrying, but a server crash now would lose
    them. True (with `since` and `detail` null) once it caught up."""

    room_id: str
    saved: bool
    since: float | None = None
    detail: str | None = None


class Audience(ServerMessage, tag="audience"):
    """The audience's counts, at most once a second per room and only when
    they changed. Not numbered: each one replaces the last."""

    room_id: str
    listeners: int
    hands: int


class Reactions(ServerMessage, tag="reactions"):
    """The room's reactions of the last moment, counted per reaction, with a
    few of the senders named; at most once a second per room."""

    room_id: str
    counts: dict[Reaction, int]
    senders: list[ReactionSender]


class Allowed(ServerMessage, tag="allowed"):
    """What this member may do in the room now, sent to them alone whenever it
    changes (a role change, a moderator's mute or its lifting): it replaces
    the snapshot's `allowed`. Not numbered: each one replaces the last."""

    room_id: str
    actions: list[Action]


class MediaStalled(ServerMessage, tag="media_stalled"):
    """To the listeners whose room's audio reaches them through another node
    than the room's own (an edge relay): the stream from the room stopped
    (`stalled` True, about a second without packets) or came back (False).
    Not numbered: each one replaces the last."""

    room_id: str
    stalled: bool


class OfferAgain(ServerMessage, tag="offer_again"):
    """To one member: offer your audio again (`media_offer`), because the
    server that should carry it changed without a takeover: a listener whose
    audio an edge node relayed went on stage, whose media the room's origin
    takes. Not numbered."""

    room_id: str


ScheduleNoticeKind = Literal["starting", "live", "changed", "cancelled", "missed"]


class ScheduleNotice(ServerMessage, tag="schedule_notice"):
    """To someone who asked to be reminded of a scheduled room: it is due,
    its host went live, it changed, was cancelled, or was missed. Each is
    delivered once per person (a connection signing in gets those it missed
    while away, for a day)."""

    kind: ScheduleNoticeKind
    room: ScheduledRoom


AnyServerMessage = (
    Ok
    | Error
    | Event
    | Kicked
    | Speaking
    | StorageStatus
    | Audience
    | Reactions
    | Allowed
    | ScheduleNotice
    | MediaStalled
    | OfferAgain
)
