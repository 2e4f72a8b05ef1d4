"""Who may do what in a room: one table, one gate.

Roles rank host > cohost > speaker > listener. `PERMISSIONS` says which
actions each role may take; `require` is the only place the core asks, and it
also applies the rank rule: an action aimed at another member needs that
member to rank strictly below the actor. Aiming a moderator action at yourself
is therefore always FORBIDDEN (nobody ranks below themselves).

Self-unmuting is its own action so that "muted by a moderator" is decided here
too: a moderator's mute holds until a moderator lifts it.

`may_be_heard` is the same kind of decision for the mix: only a live room's
stage members who are muted neither by a moderator nor by themselves may be
heard; the media shell adds push-to-talk on top, which `may_talk` decides
(only the stage holds the key). `outranks` is the rank rule on its own, for
commands aimed at many members at once (mute-all).

Two commands are not in the table. `Join` comes from someone who is not yet a
member and so has no role; `admit` decides it (bans, lock, invites). A
`Disconnect` is the shell reporting a dropped connection, which nobody can
refuse.
"""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from app.protocol.errors import ErrorCode
from app.protocol.model import Role
from app.server.rooms.errors import RoomError
from app.server.rooms.scheduled_state import ScheduledRoomState
from app.server.rooms.state import Member, Room


class Action(StrEnum):
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
    # Reading the audience one by one (pages and search); listeners only get counts.
    LIST_AUDIENCE = "list_audience"
    # Reading the room's ban list (names included), to lift a ban.
    LIST_BANS = "list_bans"
    # The host's alone.
    END_ROOM = "end_room"
    MAKE_COHOST = "make_cohost"
    UNMAKE_COHOST = "unmake_cohost"


_A = Action
_EVERYONE = frozenset({_A.LEAVE_ROOM, _A.REACT})
_AUDIENCE = frozenset({_A.RAISE_HAND, _A.LOWER_HAND, _A.ACCEPT_INVITE, _A.DECLINE_INVITE})
_ON_STAGE = frozenset({_A.SELF_MUTE, _A.SELF_UNMUTE})
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


def require(actor: Member, action: Action, target: Member | None = None) -> None:
    """Raise FORBIDDEN unless `actor` may take `action` (against `target`, if any)."""
    if action not in PERMISSIONS[actor.role]:
        what = action.value.replace("_", " ")
        raise RoomError(ErrorCode.FORBIDDEN, f"a {actor.role.value} may not {what}")
    if action is Action.SELF_UNMUTE and actor.mod_muted:
        raise RoomError(ErrorCode.FORBIDDEN, "muted by a moderator")
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


def may_talk(room: Room, user_id: int) -> bool:
    """Whether this user may hold push-to-talk: only the stage talks."""
    member = room.members.get(user_id)
    return member is not None and member.on_stage


def may_be_heard(room: Room, user_id: int) -> bool:
    """Whether the mix may carry this user's voice (push-to-talk is the shell's to add)."""
    member = room.members.get(user_id)
    return (
        room.live
        and member is not None
        and member.on_stage
        and not member.mod_muted
        and not member.self_muted
    )


# Scheduled rooms ---------------------------------------------------------------


class ScheduleAction(StrEnum):
    SEE = "see"  # in the Upcoming section, and by id
    REMIND = "remind"  # ask for (or drop) a reminder
    EDIT = "edit"  # change the plan or reschedule
    CANCEL = "cancel"
    START = "start"  # Start now: the plan becomes a live room


_S = ScheduleAction
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
