"""Recording in the room core: who may switch it, its events, and its end with the room."""

import pytest

from app.protocol.errors import ErrorCode
from app.protocol.events import RecordingChanged, RoomEnded
from app.protocol.model import Role
from app.protocol.requests import EndRoom, LeaveRoom, SetRecording
from app.server.rooms import (
    PERMISSIONS,
    Action,
    recording_lost,
    restore,
    snapshot,
    summary,
    to_durable,
)

from .helpers import HOST, add, new_room, refused, run

COHOST, SPEAKER, LISTENER = 2, 3, 4


def test_only_moderators_may_record() -> None:
    allowed = {role for role in Role if Action.SET_RECORDING in PERMISSIONS[role]}
    assert allowed == {Role.HOST, Role.COHOST}


@pytest.mark.parametrize(("user_id", "role"), [(SPEAKER, Role.SPEAKER), (LISTENER, Role.LISTENER)])
def test_speakers_and_listeners_are_refused(user_id: int, role: Role) -> None:
    room = new_room()
    add(room, user_id, role)
    refused(room, user_id, SetRecording(on=True), ErrorCode.FORBIDDEN)
    room.recording = True
    refused(room, user_id, SetRecording(on=False), ErrorCode.FORBIDDEN)


def test_start_and_stop_emit_one_event_each_and_show_in_views() -> None:
    room = new_room()
    add(room, COHOST, Role.COHOST)
    assert not snapshot(room).recording and not summary(room).recording
    assert run(room, COHOST, SetRecording(on=True)) == [RecordingChanged(recording=True, by=COHOST)]
    assert snapshot(room).recording and summary(room).recording
    assert run(room, HOST, SetRecording(on=True)) == []  # unchanged: no event
    assert run(room, HOST, SetRecording(on=False)) == [RecordingChanged(recording=False, by=HOST)]
    assert not snapshot(room).recording


def test_ending_the_room_stops_the_recording_first() -> None:
    room = new_room()
    run(room, HOST, SetRecording(on=True))
    assert run(room, HOST, EndRoom()) == [
        RecordingChanged(recording=False, reason="room_ended"),
        RoomEnded(reason="ended_by_host"),
    ]
    assert not room.recording


def test_the_host_leaving_without_heir_stops_it_too() -> None:
    room = new_room()
    run(room, HOST, SetRecording(on=True))
    events = run(room, HOST, LeaveRoom())
    assert RecordingChanged(recording=False, reason="room_ended") in events
    assert events[-1] == RoomEnded(reason="host_left")


def test_a_failure_stops_it_with_a_reason_and_numbered_event() -> None:
    room = new_room()
    run(room, HOST, SetRecording(on=True))
    seq = room.seq
    numbered = recording_lost(room, "failed", "No space left on device").events
    assert numbered == [
        (
            seq + 1,
            RecordingChanged(recording=False, reason="failed", detail="No space left on device"),
        )
    ]
    assert not room.recording
    run(room, HOST, EndRoom())
    assert not recording_lost(room, "failed")  # an ended room says nothing more


def test_recording_is_not_durable() -> None:
    room = new_room()
    run(room, HOST, SetRecording(on=True))
    restored = restore(to_durable(room), now=50.0)
    assert not restored.recording
    # The shell tells the returning clients why it stopped.
    assert recording_lost(restored, "server_restarted").events == [
        (1, RecordingChanged(recording=False, reason="server_restarted"))
    ]
