"""Floor control in the room core: order, gap, longest turn, moderators taking
it, and the holder's or a waiter's leaving, muting or stepping down."""

from app.protocol.errors import ErrorCode
from app.protocol.events import AnyRoomEvent, FloorChanged, MemberUpdated
from app.protocol.model import Role
from app.protocol.requests import (
    LeaveRoom,
    LeaveStage,
    MoveToAudience,
    Mute,
    PushToTalk,
    SelfMute,
    SetFloorControl,
    SetTalkMode,
)
from app.server.rooms import Room, tick
from app.server.rooms.commands import Disconnect, RoomCommand
from app.server.rooms.floor import GAP, due
from app.server.rooms.permissions import may_be_heard

from .helpers import HOST, add, new_room, refused, run

A, B, C, LISTENER = 2, 3, 4, 5


def floor_room(max_turn: int | None = None) -> Room:
    room = new_room(capacity=6)
    for uid in (A, B, C):
        add(room, uid, Role.SPEAKER)
    add(room, LISTENER, Role.LISTENER)
    run(room, HOST, SetFloorControl(enabled=True, max_turn=max_turn), now=1.0)
    return room


def heard(room: Room) -> set[int]:
    return {uid for uid in room.members if may_be_heard(room, uid)}


def floors(events: list[AnyRoomEvent]) -> list[FloorChanged]:
    return [e for e in events if isinstance(e, FloorChanged)]


def press(room: Room, uid: int, now: float) -> list[AnyRoomEvent]:
    return run(room, uid, PushToTalk(pressed=True), now)


def release(room: Room, uid: int, now: float) -> list[AnyRoomEvent]:
    return run(room, uid, PushToTalk(pressed=False), now)


def test_without_floor_control_everyone_pressing_is_heard_and_nobody_is_told() -> None:
    room = new_room()
    add(room, A, Role.SPEAKER)
    assert press(room, A, 1.0) == [] and press(room, HOST, 1.0) == []
    assert heard(room) == {HOST, A}


def test_first_pressed_holds_the_floor_the_rest_queue_in_order() -> None:
    room = floor_room()
    [taken] = floors(press(room, A, 2.0))
    assert taken.floor.holder == A and taken.floor.queue == [] and taken.floor.since == 2.0
    [queued] = floors(press(room, C, 2.1))
    assert queued.floor.holder == A and queued.floor.queue == [C]
    press(room, B, 2.2)
    assert room.floor_queue == [C, B]
    assert heard(room) == {A}
    # A repeated press keeps its place.
    assert floors(press(room, C, 2.3)) == []
    assert room.floor_queue == [C, B]


def test_release_hands_over_to_the_next_only_after_the_gap() -> None:
    room = floor_room()
    press(room, A, 2.0)
    press(room, B, 2.1)
    [released] = floors(release(room, A, 3.0))
    assert released.floor.holder is None and released.floor.queue == [B]
    assert heard(room) == set()
    assert due(room) == 3.0 + GAP
    assert tick(room, 3.0 + GAP / 2).events == []
    outcome = tick(room, 3.0 + GAP)
    [(_, granted)] = outcome.events
    assert isinstance(granted, FloorChanged) and granted.floor.holder == B
    assert heard(room) == {B}


def test_pressing_during_the_gap_waits_for_it_even_with_nobody_queued() -> None:
    room = floor_room()
    press(room, A, 2.0)
    release(room, A, 3.0)
    press(room, B, 3.1)
    assert room.floor_holder is None and room.floor_queue == [B]
    tick(room, 3.0 + GAP)
    assert room.floor_holder == B


def test_a_waiter_who_lets_go_leaves_the_queue() -> None:
    room = floor_room()
    press(room, A, 2.0)
    press(room, B, 2.1)
    press(room, C, 2.2)
    [left] = floors(release(room, B, 2.5))
    assert left.floor.queue == [C]


def test_a_moderator_takes_the_floor_at_once_and_the_interrupted_resumes_after() -> None:
    room = floor_room()
    press(room, A, 2.0)
    press(room, B, 2.1)
    [taken] = floors(press(room, HOST, 2.5))
    assert taken.by == HOST and taken.floor.holder == HOST and taken.floor.queue == [A, B]
    assert heard(room) == {HOST}
    release(room, HOST, 4.0)
    tick(room, 4.0 + GAP)
    assert room.floor_holder == A and heard(room) == {A}


def test_a_moderator_takes_it_during_the_gap_too() -> None:
    room = floor_room()
    press(room, A, 2.0)
    release(room, A, 3.0)
    press(room, HOST, 3.05)
    assert room.floor_holder == HOST


def test_the_longest_turn_ends_only_when_someone_waits() -> None:
    room = floor_room(max_turn=10)
    press(room, A, 2.0)
    assert tick(room, 30.0).events == []  # alone: the turn goes on
    assert room.floor_holder == A
    press(room, B, 31.0)
    # A has held it for 29 s > 10 s: the turn ends at once, A (still pressing) queues.
    assert room.floor_holder is None and room.floor_queue == [B, A]
    tick(room, 31.0 + GAP)
    assert room.floor_holder == B
    assert due(room) == 31.0 + GAP + 10.0
    tick(room, 31.0 + GAP + 10.0)
    assert room.floor_holder is None and room.floor_queue == [A, B]


def test_holder_muted_moved_down_stepping_down_dropping_or_leaving_hands_over() -> None:
    leaving: list[tuple[int, RoomCommand]] = [
        (HOST, Mute(user_id=A)),
        (A, SelfMute(muted=True)),
        (HOST, MoveToAudience(user_id=A)),
        (A, LeaveStage()),
        (A, Disconnect()),
        (A, LeaveRoom()),
    ]
    for actor_id, command in leaving:
        room = floor_room()
        press(room, A, 2.0)
        press(room, B, 2.1)
        [changed] = floors(run(room, actor_id, command, 3.0))
        assert changed.floor.holder is None and changed.floor.queue == [B], command
        tick(room, 3.0 + GAP)
        assert room.floor_holder == B and heard(room) == {B}, command


def test_a_dropped_connection_loses_its_place_in_the_queue() -> None:
    room = floor_room()
    press(room, A, 2.0)
    press(room, B, 2.1)
    press(room, C, 2.2)
    run(room, B, Disconnect(), 2.5)
    assert room.floor_queue == [C]


def test_switching_on_queues_who_is_talking_and_off_lets_everyone_be_heard() -> None:
    room = new_room(capacity=6)
    for uid in (A, B):
        add(room, uid, Role.SPEAKER)
    press(room, B, 1.0)
    press(room, A, 1.0)
    [on] = floors(run(room, HOST, SetFloorControl(enabled=True), 2.0))
    assert on.by == HOST and on.floor.enabled and on.floor.holder == A and on.floor.queue == [B]
    assert heard(room) == {A}
    [off] = floors(run(room, HOST, SetFloorControl(enabled=False), 3.0))
    assert not off.floor.enabled and off.floor.holder is None and off.floor.queue == []
    assert heard(room) == {A, B}


def test_only_moderators_switch_it_and_only_the_stage_presses() -> None:
    room = floor_room()
    refused(room, A, SetFloorControl(enabled=False), ErrorCode.FORBIDDEN)
    refused(room, LISTENER, PushToTalk(pressed=True), ErrorCode.FORBIDDEN)


def test_the_talk_mode_is_shown_and_changes_nothing_about_who_is_heard() -> None:
    room = floor_room()
    [event] = run(room, A, SetTalkMode(voice_activity=True), 2.0)
    assert isinstance(event, MemberUpdated) and event.cause == "talk_mode_changed"
    assert event.member.voice_activity
    assert room.members[A].voice_activity
    assert run(room, A, SetTalkMode(voice_activity=True), 2.1) == []
    press(room, B, 2.2)
    press(room, A, 2.3)  # the detector's press queues like a finger's
    assert room.floor_queue == [A] and heard(room) == {B}
    refused(room, LISTENER, SetTalkMode(voice_activity=True), ErrorCode.FORBIDDEN)
