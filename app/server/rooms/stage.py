"""The stage: hands, invitations to speak, stepping up and down, self-muting,
the talk mode (push-to-talk itself is floor.py's).

A listener gets on stage by raising a hand that a moderator approves, or by
accepting a moderator's invitation; either way only while the stage has room
(STAGE_FULL otherwise; an invitation stays open). Hands queue in the order
they went up. Only listeners hold raised hands and invitations: stepping on
stage clears both.

Moderator actions here use the rank rule of `permissions.require`, so a
moderator aiming one at themselves is FORBIDDEN; a target in the wrong state
(not a listener with a hand up, already invited, not on stage) is
INVALID_STATE.
"""

from app.protocol.errors import ErrorCode
from app.protocol.events import AnyRoomEvent
from app.protocol.model import Role
from app.server.rooms.errors import RoomError
from app.server.rooms.permissions import Action, require_target
from app.server.rooms.state import Member, Room
from app.server.rooms.views import member_updated


def _check_stage_space(room: Room) -> None:
    if room.stage_full():
        raise RoomError(ErrorCode.STAGE_FULL, f"the stage is full ({room.stage_capacity} people)")


def raise_hand(room: Room, me: Member, now: float) -> list[AnyRoomEvent]:
    if not room.hands_enabled:
        raise RoomError(ErrorCode.HANDS_DISABLED, "raising hands is turned off")
    if me.hand_raised_at is not None:
        return []  # keep the original place in the queue
    me.hand_raised_at = now
    return [member_updated(me, "hand_raised")]


def lower_hand(me: Member) -> list[AnyRoomEvent]:
    if me.hand_raised_at is None:
        return []
    me.hand_raised_at = None
    return [member_updated(me, "hand_lowered")]


def approve_hand(room: Room, me: Member, user_id: int, now: float) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.APPROVE_HAND, user_id)
    if target.role is not Role.LISTENER or target.hand_raised_at is None:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} has no hand raised")
    _check_stage_space(room)
    target.set_role(Role.SPEAKER, now)
    return [member_updated(target, "hand_approved", by=me.user_id)]


def deny_hand(room: Room, me: Member, user_id: int) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.DENY_HAND, user_id)
    if target.role is not Role.LISTENER or target.hand_raised_at is None:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} has no hand raised")
    target.hand_raised_at = None
    return [member_updated(target, "hand_denied", by=me.user_id)]


def invite_to_stage(room: Room, me: Member, user_id: int) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.INVITE_TO_STAGE, user_id)
    if target.role is not Role.LISTENER:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} is already on stage")
    if target.invited:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} is already invited")
    target.invited = True
    return [member_updated(target, "invited", by=me.user_id)]


def accept_invite(room: Room, me: Member, now: float) -> list[AnyRoomEvent]:
    if not me.invited:
        raise RoomError(ErrorCode.NOT_INVITED, "you have no invitation to the stage")
    _check_stage_space(room)
    me.set_role(Role.SPEAKER, now)
    return [member_updated(me, "invite_accepted")]


def decline_invite(me: Member) -> list[AnyRoomEvent]:
    if not me.invited:
        raise RoomError(ErrorCode.NOT_INVITED, "you have no invitation to the stage")
    me.invited = False
    return [member_updated(me, "invite_declined")]


def move_to_audience(room: Room, me: Member, user_id: int, now: float) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.MOVE_TO_AUDIENCE, user_id)
    if not target.on_stage:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} is not on stage")
    target.set_role(Role.LISTENER, now)
    return [member_updated(target, "moved_to_audience", by=me.user_id)]


def leave_stage(me: Member, now: float) -> list[AnyRoomEvent]:
    # Only speakers and co-hosts get here (the table keeps the host on stage);
    # a co-host stepping down gives up co-hosting too.
    me.set_role(Role.LISTENER, now)
    return [member_updated(me, "left_stage")]


def self_mute(me: Member, muted: bool) -> list[AnyRoomEvent]:
    # Unmuting over a moderator's mute was refused by the permission gate.
    if me.self_muted == muted:
        return []
    me.self_muted = muted
    return [member_updated(me, "self_muted" if muted else "self_unmuted")]


def set_talk_mode(me: Member, voice_activity: bool) -> list[AnyRoomEvent]:
    # Only a badge for others: the detector presses push-to-talk like a finger.
    if me.voice_activity == voice_activity:
        return []
    me.voice_activity = voice_activity
    return [member_updated(me, "talk_mode_changed")]
