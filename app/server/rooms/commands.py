"""What the core accepts, in one table: each command with the permission it needs and what runs it.

`COMMANDS` is the registry the core dispatches through (`core.handle`), the
permission gate reads (`core.action_of`) and the property tests derive their
strategies from, so a command added here is gated and fuzzed without another
list to keep in step. The `MemberCommand` union below is the same set for the
type checker; a test holds the two together.

Most entries are the protocol's room requests (and push-to-talk, a media
request that the core decides like any other: who is heard). Three are made by the shell
rather than read off the wire: joining is a directory request that names the
room, a dropped connection is a fact the shell observes, and invite codes are
random, so the shell draws them and the core only checks who may add one.
`SHELL_ANSWERED` are room requests that never reach the core (a snapshot is
read with `snapshot()`; `CreateInvite` becomes `AddInvite`). The reads
(`ListAudience`, `ListBans`) are gated here but answered by the shell from the
views, so they have no `run`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from app.protocol.events import AnyRoomEvent, Reacted
from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    Ban,
    CreateInvite,
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
    PushToTalk,
    RaiseHand,
    React,
    Remove,
    SelfMute,
    SetFloorControl,
    SetHandsEnabled,
    SetLocked,
    SetRecording,
    SetTalkMode,
    SetTopic,
    Sync,
    Unban,
    UnmakeCohost,
    Unmute,
)
from app.server.rooms import floor, lifecycle, moderation, room_settings, stage
from app.server.rooms.permissions import Action
from app.server.rooms.state import Member, Room


@dataclass(frozen=True, slots=True)
class Join:
    """Enter the room, or take one's place back during the grace period."""

    invite_code: str | None = None


@dataclass(frozen=True, slots=True)
class Disconnect:
    """The member's connection dropped; their place is held for the grace period."""


@dataclass(frozen=True, slots=True)
class AddInvite:
    """Store an invite code the shell generated."""

    code: str


# Everything a member (not a newcomer) can issue.
MemberCommand = (
    Disconnect
    | AddInvite
    | LeaveRoom
    | EndRoom
    | RaiseHand
    | LowerHand
    | AcceptInvite
    | DeclineInvite
    | LeaveStage
    | SelfMute
    | PushToTalk
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
)
RoomCommand = Join | MemberCommand

# The reads: gated like commands, answered by the shell.
RoomRead = ListAudience | ListBans
Gated = MemberCommand | RoomRead

# Room requests the shell answers without the core.
SHELL_ANSWERED: frozenset[type] = frozenset({Sync, CreateInvite})

C = TypeVar("C")
Events = list[AnyRoomEvent]


@dataclass(frozen=True, slots=True)
class Command(Generic[C]):
    """One thing a member may ask of a room."""

    kind: type[C]
    # Every permission it may need; none for a fact nobody can refuse (Disconnect).
    actions: tuple[Action, ...]
    # Carries it out once it passed the gate; None for a read the shell answers.
    run: Callable[[Room, Member, C, float], Events] | None
    # Which of `actions` this one needs, when that depends on the command.
    pick: Callable[[C], Action] | None = None

    def action(self, command: C) -> Action | None:
        if self.pick is not None:
            return self.pick(command)
        return self.actions[0] if self.actions else None


def _self_mute_action(command: SelfMute) -> Action:
    # Unmuting is its own action, so that a moderator's mute holds (see permissions).
    return Action.SELF_MUTE if command.muted else Action.SELF_UNMUTE


def _entry(
    kind: type[C],
    actions: tuple[Action, ...],
    run: Callable[[Room, Member, C, float], Events] | None,
    pick: Callable[[C], Action] | None = None,
) -> Command[Any]:
    # Built here rather than in the table, so the type checker checks each `run`
    # against its own command type (the table's Any would let anything through).
    return Command(kind, actions, run, pick)


def _table(*commands: Command[Any]) -> Mapping[type, Command[Any]]:
    return MappingProxyType({command.kind: command for command in commands})


_A = Action
COMMANDS: Mapping[type, Command[Any]] = _table(
    _entry(Disconnect, (), lambda room, me, c, now: lifecycle.disconnect(me, now)),
    _entry(
        AddInvite, (_A.ADD_INVITE,), lambda room, me, c, now: room_settings.add_invite(room, c.code)
    ),
    _entry(LeaveRoom, (_A.LEAVE_ROOM,), lambda room, me, c, now: lifecycle.leave(room, me, now)),
    _entry(
        EndRoom,
        (_A.END_ROOM,),
        lambda room, me, c, now: lifecycle.end_room(room, now, "ended_by_host"),
    ),
    _entry(
        React,
        (_A.REACT,),
        lambda room, me, c, now: [Reacted(user_id=me.user_id, reaction=c.reaction)],
    ),
    _entry(RaiseHand, (_A.RAISE_HAND,), lambda room, me, c, now: stage.raise_hand(room, me, now)),
    _entry(LowerHand, (_A.LOWER_HAND,), lambda room, me, c, now: stage.lower_hand(me)),
    _entry(
        AcceptInvite,
        (_A.ACCEPT_INVITE,),
        lambda room, me, c, now: stage.accept_invite(room, me, now),
    ),
    _entry(DeclineInvite, (_A.DECLINE_INVITE,), lambda room, me, c, now: stage.decline_invite(me)),
    _entry(LeaveStage, (_A.LEAVE_STAGE,), lambda room, me, c, now: stage.leave_stage(me, now)),
    _entry(
        SelfMute,
        (_A.SELF_MUTE, _A.SELF_UNMUTE),
        lambda room, me, c, now: stage.self_mute(me, c.muted),
        pick=_self_mute_action,
    ),
    _entry(
        PushToTalk,
        (_A.PUSH_TO_TALK,),
        lambda room, me, c, now: floor.press(room, me, c.pressed, now),
    ),
    _entry(
        SetTalkMode,
        (_A.SET_TALK_MODE,),
        lambda room, me, c, now: stage.set_talk_mode(me, c.voice_activity),
    ),
    _entry(
        SetFloorControl,
        (_A.SET_FLOOR_CONTROL,),
        lambda room, me, c, now: floor.set_floor_control(room, me, c.enabled, c.max_turn, now),
    ),
    _entry(
        ApproveHand,
        (_A.APPROVE_HAND,),
        lambda room, me, c, now: stage.approve_hand(room, me, c.user_id, now),
    ),
    _entry(
        DenyHand, (_A.DENY_HAND,), lambda room, me, c, now: stage.deny_hand(room, me, c.user_id)
    ),
    _entry(
        InviteToStage,
        (_A.INVITE_TO_STAGE,),
        lambda room, me, c, now: stage.invite_to_stage(room, me, c.user_id),
    ),
    _entry(
        MoveToAudience,
        (_A.MOVE_TO_AUDIENCE,),
        lambda room, me, c, now: stage.move_to_audience(room, me, c.user_id, now),
    ),
    _entry(Mute, (_A.MUTE,), lambda room, me, c, now: moderation.mute(room, me, c.user_id)),
    _entry(Unmute, (_A.UNMUTE,), lambda room, me, c, now: moderation.unmute(room, me, c.user_id)),
    _entry(MuteAll, (_A.MUTE_ALL,), lambda room, me, c, now: moderation.mute_all(room, me)),
    _entry(Remove, (_A.REMOVE,), lambda room, me, c, now: moderation.remove(room, me, c.user_id)),
    _entry(Ban, (_A.BAN,), lambda room, me, c, now: moderation.ban(room, me, c.user_id)),
    _entry(Unban, (_A.UNBAN,), lambda room, me, c, now: moderation.unban(room, c.user_id)),
    _entry(
        MakeCohost,
        (_A.MAKE_COHOST,),
        lambda room, me, c, now: moderation.make_cohost(room, me, c.user_id, now),
    ),
    _entry(
        UnmakeCohost,
        (_A.UNMAKE_COHOST,),
        lambda room, me, c, now: moderation.unmake_cohost(room, me, c.user_id, now),
    ),
    _entry(
        SetLocked,
        (_A.SET_LOCKED,),
        lambda room, me, c, now: room_settings.set_locked(room, me, c.locked),
    ),
    _entry(
        SetHandsEnabled,
        (_A.SET_HANDS_ENABLED,),
        lambda room, me, c, now: room_settings.set_hands_enabled(room, me, c.enabled),
    ),
    _entry(
        SetTopic,
        (_A.SET_TOPIC,),
        lambda room, me, c, now: room_settings.set_topic(room, me, c.topic),
    ),
    _entry(
        PinLink, (_A.PIN_LINK,), lambda room, me, c, now: room_settings.pin_link(room, me, c.url)
    ),
    _entry(
        SetRecording,
        (_A.SET_RECORDING,),
        lambda room, me, c, now: room_settings.set_recording(room, me, c.on),
    ),
    _entry(ListAudience, (_A.LIST_AUDIENCE,), None),
    _entry(ListBans, (_A.LIST_BANS,), None),
)
