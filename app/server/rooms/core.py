"""The room core's entry points: `handle` a command, `tick` the clock.

Sans-I/O: the shell passes the time in (`now`, epoch seconds), and gets back
the events to broadcast, each with its sequence number (room.seq rises by one
per event). A refused command raises RoomError and leaves the room untouched.

Order of checks: an ended room refuses everything (ROOM_ENDED); then anyone
but a newcomer's Join must be a member (NOT_IN_ROOM); then the permission
gate (FORBIDDEN); then the command's own checks.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import assert_never

from app.protocol.errors import ErrorCode
from app.protocol.events import AnyRoomEvent, Reacted, RecordingStopReason
from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    Ban,
    DeclineInvite,
    DenyHand,
    EndRoom,
    InviteToStage,
    LeaveRoom,
    LeaveStage,
    LowerHand,
    MakeCohost,
    MoveToAudience,
    Mute,
    MuteAll,
    PinLink,
    RaiseHand,
    React,
    Remove,
    SelfMute,
    SetHandsEnabled,
    SetLocked,
    SetRecording,
    SetTopic,
    Unban,
    UnmakeCohost,
    Unmute,
)
from app.server.rooms import lifecycle, moderation, settings, stage
from app.server.rooms.commands import AddInvite, Disconnect, Join, MemberCommand, RoomCommand
from app.server.rooms.errors import RoomError
from app.server.rooms.permissions import Action, require
from app.server.rooms.state import Actor, Member, Room

_ACTION_OF: Mapping[type, Action] = MappingProxyType(
    {
        AddInvite: Action.ADD_INVITE,
        LeaveRoom: Action.LEAVE_ROOM,
        EndRoom: Action.END_ROOM,
        RaiseHand: Action.RAISE_HAND,
        LowerHand: Action.LOWER_HAND,
        AcceptInvite: Action.ACCEPT_INVITE,
        DeclineInvite: Action.DECLINE_INVITE,
        LeaveStage: Action.LEAVE_STAGE,
        React: Action.REACT,
        ApproveHand: Action.APPROVE_HAND,
        DenyHand: Action.DENY_HAND,
        InviteToStage: Action.INVITE_TO_STAGE,
        MoveToAudience: Action.MOVE_TO_AUDIENCE,
        Mute: Action.MUTE,
        Unmute: Action.UNMUTE,
        MuteAll: Action.MUTE_ALL,
        Remove: Action.REMOVE,
        Ban: Action.BAN,
        Unban: Action.UNBAN,
        MakeCohost: Action.MAKE_COHOST,
        UnmakeCohost: Action.UNMAKE_COHOST,
        SetLocked: Action.SET_LOCKED,
        SetHandsEnabled: Action.SET_HANDS_ENABLED,
        SetTopic: Action.SET_TOPIC,
        PinLink: Action.PIN_LINK,
        SetRecording: Action.SET_RECORDING,
    }
)


def action_of(command: MemberCommand) -> Action | None:
    """The permission a member command needs; None for Disconnect, which is not a request."""
    if isinstance(command, Disconnect):
        return None
    if isinstance(command, SelfMute):
        return Action.SELF_MUTE if command.muted else Action.SELF_UNMUTE
    return _ACTION_OF[type(command)]


def handle(
    room: Room, actor: Actor, command: RoomCommand, now: float
) -> list[tuple[int, AnyRoomEvent]]:
    if isinstance(command, Join):
        if not room.live:
            raise RoomError(ErrorCode.ROOM_ENDED, "this room has ended")
        return _number(room, lifecycle.join(room, actor, command.invite_code, now))
    me = check(room, actor, command)
    return _number(room, _run(room, me, command, now))


def check(room: Room, actor: Actor, command: MemberCommand) -> Member:
    """The gate alone (ended, membership, permission): for a shell that must do
    its own work (open a file) before the command runs, and only if allowed."""
    if not room.live:
        raise RoomError(ErrorCode.ROOM_ENDED, "this room has ended")
    me = room.members.get(actor.user_id)
    if me is None:
        raise RoomError(ErrorCode.NOT_IN_ROOM, "you are not in this room")
    action = action_of(command)
    if action is not None:
        require(me, action)
    return me


def tick(room: Room, now: float) -> list[tuple[int, AnyRoomEvent]]:
    """Let the clock run: members past their grace period leave."""
    return _number(room, lifecycle.expire(room, now))


def recording_lost(
    room: Room, reason: RecordingStopReason, detail: str | None = None
) -> list[tuple[int, AnyRoomEvent]]:
    """The shell could not go on recording (a write failed, the server restarted).

    Like Disconnect, a fact nobody can refuse; unlike it, no member issues it.
    Emits `recording_changed` off with the reason even when the core had already
    forgotten the flag (after a restart), so that clients hear why.
    """
    if not room.live:
        return []
    return _number(room, settings.stop_recording(room, reason, detail))


def _number(room: Room, events: list[AnyRoomEvent]) -> list[tuple[int, AnyRoomEvent]]:
    numbered = []
    for event in events:
        room.seq += 1
        numbered.append((room.seq, event))
    return numbered


def _run(room: Room, me: Member, command: MemberCommand, now: float) -> list[AnyRoomEvent]:
    """Carry out a command that passed the gate; targeted ones still check rank and state."""
    match command:
        case Disconnect():
            return lifecycle.disconnect(me, now)
        case LeaveRoom():
            return lifecycle.leave(room, me, now)
        case EndRoom():
            return lifecycle.end_room(room, now, "ended_by_host")
        case React(reaction=reaction):
            return [Reacted(user_id=me.user_id, reaction=reaction)]
        case RaiseHand():
            return stage.raise_hand(room, me, now)
        case LowerHand():
            return stage.lower_hand(me)
        case AcceptInvite():
            return stage.accept_invite(room, me, now)
        case DeclineInvite():
            return stage.decline_invite(me)
        case LeaveStage():
            return stage.leave_stage(me, now)
        case SelfMute(muted=muted):
            return stage.self_mute(me, muted)
        case ApproveHand(user_id=uid):
            return stage.approve_hand(room, me, uid, now)
        case DenyHand(user_id=uid):
            return stage.deny_hand(room, me, uid)
        case InviteToStage(user_id=uid):
            return stage.invite_to_stage(room, me, uid)
        case MoveToAudience(user_id=uid):
            return stage.move_to_audience(room, me, uid, now)
        case Mute(user_id=uid):
            return moderation.mute(room, me, uid)
        case Unmute(user_id=uid):
            return moderation.unmute(room, me, uid)
        case MuteAll():
            return moderation.mute_all(room, me)
        case Remove(user_id=uid):
            return moderation.remove(room, me, uid)
        case Ban(user_id=uid):
            return moderation.ban(room, me, uid)
        case Unban(user_id=uid):
            return moderation.unban(room, uid)
        case MakeCohost(user_id=uid):
            return moderation.make_cohost(room, me, uid, now)
        case UnmakeCohost(user_id=uid):
            return moderation.unmake_cohost(room, me, uid, now)
        case SetLocked(locked=locked):
            return settings.set_locked(room, me, locked)
        case SetHandsEnabled(enabled=enabled):
            return settings.set_hands_enabled(room, me, enabled)
        case SetTopic(topic=topic):
            return settings.set_topic(room, me, topic)
        case PinLink(url=url):
            return settings.pin_link(room, me, url)
        case SetRecording(on=on):
            return settings.set_recording(room, me, on)
        case AddInvite(code=code):
            return settings.add_invite(room, code)
        case _:
            assert_never(command)
