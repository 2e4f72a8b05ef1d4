"""The room core's entry points: `handle` a command, `tick` the clock.

Sans-I/O: the shell passes the time in (`now`, epoch seconds), and gets back
an `Outcome`: the events to broadcast, each with its sequence number (room.seq
rises by one per event), and the quiet ones the shell acts on without
broadcasting them. A refused command raises RoomError and leaves the room
untouched.

Who sees what (protocol 2): an event about a member who is shown to everyone
(on stage, hand raised, invited) before or after it is broadcast and
numbered. An event about a listener who is neither before nor after (their
join, drop, return, departure) is quiet: the audience counts change, and the
shell tells the room in its once-a-second summary. Reactions are always
quiet: the shell sends them out in bursts.

Order of checks: an ended room refuses everything (ROOM_ENDED); then anyone
but a newcomer's Join must be a member (NOT_IN_ROOM); then the permission
gate (FORBIDDEN); then the command's own checks.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import assert_never

from app.protocol.errors import ErrorCode
from app.protocol.events import (
    AnyRoomEvent,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    Reacted,
    RecordingStopReason,
)
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
    ListAudience,
    ListBans,
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
        ListAudience: Action.LIST_AUDIENCE,
        ListBans: Action.LIST_BANS,
    }
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command or the clock did: `events` go to every member, numbered;
    `quiet` ones (unseen listeners' comings and goings, reactions) do not, but
    the shell still acts on them (kicks the departed, bursts the reactions)."""

    events: list[tuple[int, AnyRoomEvent]] = field(default_factory=list)
    quiet: list[AnyRoomEvent] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.events or self.quiet)


def action_of(command: MemberCommand | ListAudience | ListBans) -> Action | None:
    """The permission a member command needs; None for Disconnect, which is not a request."""
    if isinstance(command, Disconnect):
        return None
    if isinstance(command, SelfMute):
        return Action.SELF_MUTE if command.muted else Action.SELF_UNMUTE
    return _ACTION_OF[type(command)]


def handle(room: Room, actor: Actor, command: RoomCommand, now: float) -> Outcome:
    if isinstance(command, Join):
        if not room.live:
            raise RoomError(ErrorCode.ROOM_ENDED, "this room has ended")
        return _settle(room, lifecycle.join(room, actor, command.invite_code, now))
    me = check(room, actor, command)
    return _settle(room, _run(room, me, command, now))


def check(room: Room, actor: Actor, command: MemberCommand | ListAudience | ListBans) -> Member:
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


def tick(room: Room, now: float) -> Outcome:
    """Let the clock run: members past their grace period leave."""
    return _settle(room, lifecycle.expire(room, now))


def recording_lost(room: Room, reason: RecordingStopReason, detail: str | None = None) -> Outcome:
    """The shell could not go on recording (a write failed, the server restarted).

    Like Disconnect, a fact nobody can refuse; unlike it, no member issues it.
    Emits `recording_changed` off with the reason even when the core had already
    forgotten the flag (after a restart), so that clients hear why.
    """
    if not room.live:
        return Outcome()
    return _settle(room, settings.stop_recording(room, reason, detail))


def subject_of(event: AnyRoomEvent) -> int | None:
    """The member an event is about; None for room-wide ones."""
    if isinstance(event, MemberJoined | MemberUpdated):
        return event.member.user_id
    if isinstance(event, MemberLeft):
        return event.user_id
    return None


def _settle(room: Room, events: list[AnyRoomEvent]) -> Outcome:
    """Update the indexes for every member the events are about, then number
    the events everyone sees and set the others aside."""
    out = Outcome()
    for event in events:
        user_id = subject_of(event)
        if isinstance(event, Reacted):
            seen = False
        elif user_id is None:
            seen = True
        else:
            was_shown = user_id in room.shown
            room.reindex(user_id)
            seen = was_shown or user_id in room.shown
        if seen:
            room.seq += 1
            out.events.append((room.seq, event))
        else:
            out.quiet.append(event)
    return out


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
