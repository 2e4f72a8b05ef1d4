"""Who may do what in a room: one table, one gate.

Roles rank host > cohost > speaker > listener. `PERMISSIONS` says which
actions each role may take; `require` is the only place the core asks, and it
also applies the rank rule: an action aimed at another member needs that
member to rank strictly below the actor. Aiming a moderator action at yourself
is therefore always FORBIDDEN (nobody ranks below themselves).

Self-unmuting is its own action so that "muted by a moderator" is decided here
too: a moderator's mute holds until a moderator lifts it. `allowed` is what a
member may do now (the role's row less that); the gate lets exactly it
through, and the hub sends it to each member whenever it changes, so that
clients show what the server allows instead of re-deriving the rules. The
action names are the protocol's (`app.protocol.model.Action`).

`may_be_heard` is the only decision about the mix: a live room's stage members
who hold push-to-talk (core state, set through the gate like any command) and
are muted neither by a moderator nor by themselves are heard, and under floor
control only the one who holds the floor (floor.py); the media shell
only carries the answer out. `outranks` is the rank rule on its own, for
commands aimed at many members at once (mute-all).

`may_play_replay` and `may_manage_replay` decide who may play a finished
recording and who may change or delete it.

`may_see_room` and `may_see_listing` decide who sees a room in the directory
(the hub asks them for its own rooms and for other nodes' listings).

Two commands are not in the table. `Join` comes from someone who is not yet a
member and so has no role; `admit` decides it (bans, lock, invites). A
`Disconnect` is the shell reporting a dropped connection, which nobody can
refuse.
"""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from app.protocol.errors import ErrorCode
from app.protocol.model import Action as Action  # the protocol's (members are sent theirs)
from app.protocol.model import Role
from app.server.rooms.errors import RoomError
from app.server.rooms.replay_access import ReplayFacts, ReplayViewer
from app.server.rooms.scheduled_state import ScheduledRoomState
from app.server.rooms.state import Member, Room

_A = Action
_EVERYONE = frozenset({_A.LEAVE_ROOM, _A.REACT})
_AUDIENCE = frozenset({_A.RAISE_HAND, _A.LOWER_HAND, _A.ACCEPT_INVITE, _A.DECLINE_INVITE})
# Only the stage holds push-to-talk, muted or not (the mix still leaves the muted out).
_ON_STAGE = frozenset({_A.SELF_MUTE, _A.SELF_UNMUTE, _A.PUSH_TO_TALK, _A.SET_TALK_MODE})
_MODERATION = frozenset(
    {
        _A.APPROVE_HAND,
        _A.DENY_HAND,
        _A.INVITE_TO_STAGE,
        _A.MOVE_TO_AUDIENCE,
        _A.MUTE,
        _A.UNMUTE,
        _A.MUTE_ALL,
        _A.REMOVE,
        _A.BAN,
        _A.UNBAN,
        _A.SET_LOCKED,
        _A.SET_HANDS_ENABLED,
        _A.SET_TOPIC,
        _A.PIN_LINK,
        _A.ADD_INVITE,
        # Recording is the moderators' call (as in X Spaces); the shell also
        # needs a media plane and a writable directory.
        _A.SET_RECORDING,
        # Also: under floor control a moderator's push-to-talk takes the floor at once.
        _A.SET_FLOOR_CONTROL,
        _A.LIST_AUDIENCE,
        _A.LIST_BANS,
    }
)
_HOST_ONLY = frozenset({_A.END_ROOM, _A.MAKE_COHOST, _A.UNMAKE_COHOST})

PERMISSIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        # The host cannot leave the stage: the room needs its host up there.
        Role.HOST: _EVERYONE | _ON_STAGE | _MODERATION | _HOST_ONLY,
        Role.COHOST: _EVERYONE | _ON_STAGE | {_A.LEAVE_STAGE} | _MODERATION,
        Role.SPEAKER: _EVERYONE | _ON_STAGE | {_A.LEAVE_STAGE},
        Role.LISTENER: _EVERYONE | _AUDIENCE,
    }
)

RANK: Mapping[Role, int] = MappingProxyType(
    {Role.HOST: 3, Role.COHOST: 2, Role.SPEAKER: 1, Role.LISTENER: 0}
)


def outranks(actor: Member, target: Member) -> bool:
    """Whether `actor` ranks strictly above `target` (never true of oneself)."""
    return RANK[target.role] < RANK[actor.role]


def is_moderator(member: Member) -> bool:
    """Whether the member runs the room (the moderation row is theirs): who is
    told when the room's changes cannot be saved."""
    return PERMISSIONS[member.role] >= _MODERATION


def allowed(member: Member) -> frozenset[Action]:
    """Every action this member may take now: their role's row, less unmuting
    while a moderator's mute holds. The gate lets exactly these through, and
    each member is sent theirs (`RoomSnapshot.allowed`, the `allowed` message)."""
    actions = PERMISSIONS[member.role]
    return actions - {Action.SELF_UNMUTE} if member.mod_muted else actions


def require(actor: Member, action: Action, target: Member | None = None) -> None:
    """Raise FORBIDDEN unless `actor` may take `action` (against `target`, if any)."""
    if action not in allowed(actor):
        if action in PERMISSIONS[actor.role]:  # only a moderator's mute takes one away
            raise RoomError(ErrorCode.FORBIDDEN, "muted by a moderator")
        what = action.value.replace("_", " ")
        raise RoomError(ErrorCode.FORBIDDEN, f"a {actor.role.value} may not {what}")
    if target is not None and not outranks(actor, target):
        if target.user_id == actor.user_id:
            raise RoomError(ErrorCode.FORBIDDEN, "you cannot do that to yourself")
        raise RoomError(ErrorCode.FORBIDDEN, f"{target.name} does not rank below you")


def require_target(room: Room, actor: Member, action: Action, user_id: int) -> Member:
    """The member `action` is aimed at, once the role, membership and rank checks pass."""
    # Role first, so that someone without the right learns nothing about who is here.
    require(actor, action)
    target = room.members.get(user_id)
    if target is None:
        raise RoomError(ErrorCode.NO_SUCH_MEMBER, f"user {user_id} is not in this room")
    require(actor, action, target)
    return target


def admit(room: Room, user_id: int, invite_code: str | None) -> None:
    """Raise unless a newcomer may join: not banned, room not locked, invite if needed."""
    if user_id in room.bans:
        raise RoomError(ErrorCode.BANNED, "you are banned from this room")
    if room.locked:
        raise RoomError(ErrorCode.ROOM_LOCKED, "this room is locked")
    if room.invite_only and (invite_code is None or invite_code not in room.invites):
        raise RoomError(ErrorCode.INVITE_REQUIRED, "this room needs an invite")


def may_see_listing(invite_only: bool, inside: bool) -> bool:
    """Whether a room shows in someone's directory: an invite-only room only to
    those already inside it. For a room as another node listed it, as well."""
    return not invite_only or inside


def may_see_room(room: Room, user_id: int) -> bool:
    """Whether this room (held here) shows in the user's directory: live ones only."""
    return room.live and may_see_listing(room.invite_only, user_id in room.members)


def may_be_heard(room: Room, user_id: int) -> bool:
    """Whether the mix carries this user's voice now."""
    member = room.members.get(user_id)
    return (
        room.live
        and member is not None
        and member.on_stage
        and member.ptt_held
        and not member.mod_muted
        and not member.self_muted
        and (not room.floor_control or room.floor_holder == user_id)
    )


def may_hold_floor(room: Room, user_id: int) -> bool:
    """Whether this member may hold or wait for the floor: everything
    `may_be_heard` asks but the floor itself."""
    member = room.members.get(user_id)
    return (
        room.live
        and member is not None
        and member.on_stage
        and member.connected
        and member.ptt_held
        and not member.mod_muted
        and not member.self_muted
    )


def may_listen_live(room: Room, user_id: int, live_listeners: int, capacity: int | None) -> bool:
    """Whether this member gets a live (WebRTC) link rather than the broadcast.

    The stage, and a listener invited to it (who must hear the live room
    before going up), always do; other listeners while the node's live
    audience (`live_listeners`, this member's own link not counted) is under
    `capacity` (None: no limit).
    """
    member = room.members.get(user_id)
    if member is None:
        return False
    if member.on_stage or member.invited or capacity is None:
        return True
    return live_listeners < capacity


# Scheduled rooms ---------------------------------------------------------------


class ScheduleAction(StrEnum):
    SEE = "see"  # in the Upcoming section, and by id
    REMIND = "remind"  # ask for (or drop) a reminder
    EDIT = "edit"  # change the plan or reschedule
    CANCEL = "cancel"
    START = "start"  # Start now: the plan becomes a live room


_S = ScheduleAction
# Who a host may place on a scheduled room's stage ahead of its start.
INVITABLE_AHEAD = frozenset({Role.COHOST, Role.SPEAKER})
SCHEDULE_PERMISSIONS: Mapping[Role, frozenset[ScheduleAction]] = MappingProxyType(
    {
        # Only the host changes the plan: the invited are told of it, not asked.
        Role.HOST: frozenset(ScheduleAction),
        Role.COHOST: frozenset({_S.SEE, _S.REMIND}),
        Role.SPEAKER: frozenset({_S.SEE, _S.REMIND}),
        # Anyone else: an open room's audience-to-be.
        Role.LISTENER: frozenset({_S.SEE, _S.REMIND}),
    }
)


def may_see_scheduled(plan: ScheduledRoomState, user_id: int) -> bool:
    """An open plan is everyone's to see; an invite-only one, its host's and the invited's."""
    return not plan.plan.invite_only or plan.role_of(user_id) is not None


def require_scheduled(plan: ScheduledRoomState, user_id: int, action: ScheduleAction) -> None:
    """Raise unless this user may take `action` on the scheduled room.

    A plan the user may not see is answered as if it did not exist, so that
    guessing ids tells nobody which invite-only rooms are planned.
    """
    if not may_see_scheduled(plan, user_id):
        raise RoomError(ErrorCode.SCHEDULE_NOT_FOUND, "no scheduled room has that id")
    role = plan.role_of(user_id) or Role.LISTENER
    if action not in SCHEDULE_PERMISSIONS[role]:
        raise RoomError(ErrorCode.FORBIDDEN, f"only the host may {action.value} a scheduled room")


# Replays -------------------------------------------------------------------------


def _moderated(replay: ReplayFacts, viewer: ReplayViewer) -> bool:
    return viewer.was_moderator or viewer.user_id in (replay.host_id, replay.owner_id)


def may_play_replay(replay: ReplayFacts, viewer: ReplayViewer) -> bool:
    """Whether `viewer` may play (and see listed) a finished recording.

    Private: the room's moderators (its host, whoever started the recording,
    the co-hosts as it stopped). Public: also the room's audience, which for
    an open room is everyone signed in (anyone could have walked in) and for
    an invite-only room only those who were in it as the recording stopped
    (nobody else was ever let in).
    """
    if not replay.finished:
        return False
    if _moderated(replay, viewer):
        return True
    if replay.visibility != "public":
        return False
    return not replay.invite_only or viewer.was_member


def may_manage_replay(replay: ReplayFacts, user_id: int) -> bool:
    """Only the room's host changes who may play it, or deletes it."""
    return user_id == replay.host_id


def replay_viewers(room: Room) -> dict[int, bool]:
    """Whom to remember as the room's recording stops (user id -> moderator):
    its moderators always, and everyone in it when the room is invite-only
    (that is its audience; an open room's is everyone)."""
    return {
        user_id: is_moderator(member)
        for user_id, member in room.members.items()
        if room.invite_only or is_moderator(member)
    }
