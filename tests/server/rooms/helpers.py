"""Building rooms in a known state, and checking refusals, for the room-core tests."""

import copy

import pytest

from app.protocol.errors import ErrorCode
from app.protocol.events import AnyRoomEvent
from app.protocol.model import Role
from app.server.rooms import (
    Actor,
    Member,
    Outcome,
    Room,
    RoomCommand,
    RoomError,
    create_room,
    handle,
)

HOST = 1


def actor(user_id: int) -> Actor:
    return Actor(user_id, f"user{user_id}")


def new_room(capacity: int = 5, invite_only: bool = False, grace: float = 60.0) -> Room:
    """A live room created at t=0 by user HOST."""
    return create_room("r1", actor(HOST), "Title", "", invite_only, capacity, 0.0, grace)


def add(room: Room, user_id: int, role: Role, **fields: object) -> Member:
    """Put a member straight into the room (state set-up, bypassing the rules)."""
    member = Member(
        user_id=user_id, name=f"user{user_id}", role=role, joined_at=0.0, role_since=0.0
    )
    for name, value in fields.items():
        setattr(member, name, value)
    room.members[user_id] = member
    room.reindex(user_id)
    return member


def run(room: Room, user_id: int, command: RoomCommand, now: float = 10.0) -> list[AnyRoomEvent]:
    """Handle a command, check the numbering, and return the bare events: the
    numbered ones everyone sees, then the quiet ones (unseen listeners, reactions)."""
    outcome = run_outcome(room, user_id, command, now)
    return [event for _, event in outcome.events] + outcome.quiet


def run_outcome(room: Room, user_id: int, command: RoomCommand, now: float = 10.0) -> Outcome:
    """Handle a command and check the numbering of what everyone sees."""
    before = room.seq
    outcome = handle(room, actor(user_id), command, now)
    numbered = outcome.events
    assert [seq for seq, _ in numbered] == list(range(before + 1, before + 1 + len(numbered)))
    assert room.seq == before + len(numbered)
    return outcome


def refused(
    room: Room, user_id: int, command: RoomCommand, code: ErrorCode, now: float = 10.0
) -> RoomError:
    """Assert the command is refused with `code` and the room did not change at all."""
    before = copy.deepcopy(room)
    with pytest.raises(RoomError) as info:
        handle(room, actor(user_id), command, now)
    assert info.value.code == code, info.value.message
    assert room == before
    return info.value
