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

from dataclasses import dataclass, field

from app.protocol.errors import ErrorCode
from app.protocol.events import (
    AnyRoomEvent,
    FloorChanged,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    Reacted,
    RecordingStopReason,
)
from app.server.rooms import floor, lifecycle, room_settings
from app.server.rooms.commands import COMMANDS, Gated, Join, MemberCommand, RoomCommand
from app.server.rooms.errors import RoomError
from app.server.rooms.permissions import Action, require
from app.server.rooms.state import Actor, Member, Room


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command or the clock did: `events` go to every member, numbered;
    `quiet` ones (unseen listeners' comings and goings, reactions) do not, but
    the shell still acts on them (kicks the departed, bursts the reactions)."""

    events: list[tuple[int, AnyRoomEvent]] = field(default_factory=list)
    quiet: list[AnyRoomEvent] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.events or self.quiet)


def action_of(command: Gated) -> Action | None:
    """The permission a command needs; None for Disconnect, which nobody can refuse."""
    return COMMANDS[type(command)].action(command)


def handle(room: Room, actor: Actor, command: RoomCommand, now: float) -> Outcome:
    if isinstance(command, Join):
        if not room.live:
            raise RoomError(ErrorCode.ROOM_ENDED, "this room has ended")
        return _settle(room, lifecycle.join(room, actor, command.invite_code, now))
    me = check(room, actor, command)
    before = floor.key(room)
    events = _run(room, me, command, now)
    return _settle(room, _with_floor(room, events, before, now))


def check(room: Room, actor: Actor, command: Gated) -> Member:
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
    """Let the clock run: members past their grace period leave, the floor
    passes on after its gap or at a turn's end (`floor.due` says when)."""
    before = floor.key(room)
    return _settle(room, _with_floor(room, lifecycle.expire(room, now), before, now))


def _with_floor(
    room: Room, events: list[AnyRoomEvent], before: floor.FloorKey, now: float
) -> list[AnyRoomEvent]:
    """The events, and a floor_changed if they moved the floor (a holder who
    left, was muted or stepped down hands over) and none says so yet."""
    floor.settle(room, now)
    if any(isinstance(e, FloorChanged) for e in events):
        return events
    return events + floor.changed(room, before)


def recording_lost(room: Room, reason: RecordingStopReason, detail: str | None = None) -> Outcome:
    """The shell could not go on recording (a write failed, the server restarted).

    Like Disconnect, a fact nobody can refuse; unlike it, no member issues it.
    Emits `recording_changed` off with the reason even when the core had already
    forgotten the flag (after a restart), so that clients hear why.
    """
    if not room.live:
        return Outcome()
    return _settle(room, room_settings.stop_recording(room, reason, detail))


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
    run = COMMANDS[type(command)].run
    if run is None:  # a read: the type checker keeps these out of `handle`
        raise TypeError(f"{type(command).__name__} is answered by the shell, not run")
    return run(room, me, command, now)
