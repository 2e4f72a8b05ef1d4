"""The client's room copy follows recording: snapshot, events, the room's end."""

import msgspec

from app.client.room_model import RoomModel
from app.protocol.events import RecordingChanged, RoomEnded
from tests.client.test_room_model import snap


def test_recording_follows_the_snapshot_and_its_events() -> None:
    model = RoomModel(snap(seq=5))
    assert not model.recording
    assert model.apply(6, RecordingChanged(recording=True, by=1))
    assert model.recording and model.to_dict()["recording"] is True
    assert model.apply(7, RecordingChanged(recording=False, reason="failed", detail="disk full"))
    assert not model.recording and model.recording_failure == "disk full"
    assert model.apply(8, RecordingChanged(recording=True, by=1))
    assert model.recording_failure is None
    # A gap is a gap for this event too: resync.
    assert not model.apply(10, RecordingChanged(recording=True, by=1))
    model.reset(msgspec.structs.replace(snap(seq=10), recording=True))
    assert model.recording


def test_an_ended_room_is_not_recorded() -> None:
    model = RoomModel(msgspec.structs.replace(snap(seq=5), recording=True))
    assert model.apply(6, RoomEnded(reason="ended_by_host"))
    assert not model.recording
