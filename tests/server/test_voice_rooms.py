"""The media shell (server/voice_rooms.py) on a fake media plane: fast, no WebRTC.

`VoiceRooms` must push into the plane exactly what the room core's state
allows (`may_be_heard`: on stage, not muted, holding push-to-talk, which the
core keeps too). The live tests in
tests/voice check the same with real audio; these check every transition.
"""

import asyncio
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from app.protocol.errors import ErrorCode
from app.protocol.model import Role
from app.protocol.requests import LeaveStage, Mute, PushToTalk, SelfMute
from app.server.rooms import Actor, Disconnect, Room, RoomError, create_room, handle
from app.server.voice_rooms import MediaPlane, VoiceRooms
from tests.server.rooms.helpers import add

HOST, SPEAKER, LISTENER = 1, 2, 3


class FakePlane:
    """A MediaPlane that records what the shell told it."""

    def __init__(self) -> None:
        self.joined: set[str] = set()
        self.on_stage: dict[str, bool] = {}
        self.heard: dict[str, bool] = {}
        self.gains: dict[str, dict[str, float]] = {}
        self.started = self.stopped = False

    async def join(self, pid: str, offer_sdp: str) -> str:
        if offer_sdp == "bad":
            raise ValueError("not an SDP")
        self.joined.add(pid)
        return f"answer for {pid}"

    async def leave(self, pid: str) -> None:
        self.joined.discard(pid)
        self.on_stage.pop(pid, None)
        self.heard.pop(pid, None)
        self.gains.pop(pid, None)

    def set_on_stage(self, pid: str, on_stage: bool) -> None:
        self.on_stage[pid] = on_stage

    def set_heard(self, pid: str, heard: bool) -> None:
        self.heard[pid] = heard

    def set_gains(self, pid: str, gains: dict[str, float]) -> None:
        if gains:
            self.gains[pid] = gains
        else:
            self.gains.pop(pid, None)

    def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def take_levels(self) -> dict[str, float]:
        return {pid: 0.5 for pid, heard in self.heard.items() if heard}

    def add_audience_tap(self, tap: Callable[[bytes], None]) -> None:
        pass

    def remove_audience_tap(self, tap: Callable[[bytes], None]) -> None:
        pass

    def add_mix_tap(self, tap: Callable[[NDArray[np.int16]], None]) -> None:
        pass

    def remove_mix_tap(self, tap: Callable[[NDArray[np.int16]], None]) -> None:
        pass

    def add_packet_tap(self, tap: Callable[[bytes], None]) -> None:
        pass

    def remove_packet_tap(self, tap: Callable[[bytes], None]) -> None:
        pass


def _room() -> Room:
    room = create_room("r", Actor(HOST, "host"), "Title", "", False, 5, 0.0, 60.0)
    add(room, SPEAKER, Role.SPEAKER)
    add(room, LISTENER, Role.LISTENER)
    return room


def _ptt(voice: VoiceRooms, room: Room, user_id: int, pressed: bool) -> None:
    # What the hub does with a push_to_talk request: the core's gate and state, then sync.
    handle(room, Actor(user_id, "u"), PushToTalk(pressed=pressed), 0.5)
    voice.sync(room)


async def _connected(room: Room) -> tuple[VoiceRooms, FakePlane]:
    plane = FakePlane()
    plane_for: Callable[[], MediaPlane] = lambda: plane  # noqa: E731 (a factory of one)
    voice = VoiceRooms(plane_for)
    for user_id in (HOST, SPEAKER, LISTENER):
        assert await voice.offer(room, user_id, "sdp") == f"answer for {user_id}"
    return voice, plane


async def test_the_stage_is_heard_only_while_holding_push_to_talk() -> None:
    room = _room()
    voice, plane = await _connected(room)
    assert plane.started and plane.joined == {"1", "2", "3"}
    assert plane.on_stage == {"1": True, "2": True}  # the listener is never set on stage
    assert plane.heard == {"1": False, "2": False}
    _ptt(voice, room, SPEAKER, True)
    assert plane.heard["2"] is True and room.holding_ptt() == {SPEAKER}
    _ptt(voice, room, SPEAKER, False)
    assert plane.heard["2"] is False and room.holding_ptt() == frozenset()


async def test_a_listener_cannot_talk() -> None:
    room = _room()
    voice, plane = await _connected(room)
    with pytest.raises(RoomError) as refused:
        _ptt(voice, room, LISTENER, True)
    assert refused.value.code == ErrorCode.FORBIDDEN
    assert "3" not in plane.heard and room.holding_ptt() == frozenset()


async def test_muting_silences_a_held_key_and_leaving_the_stage_releases_it() -> None:
    room = _room()
    voice, plane = await _connected(room)
    _ptt(voice, room, SPEAKER, True)
    handle(room, Actor(SPEAKER, "s"), SelfMute(muted=True), 1.0)
    voice.sync(room)
    assert plane.heard["2"] is False and room.holding_ptt() == {SPEAKER}  # still held
    handle(room, Actor(SPEAKER, "s"), SelfMute(muted=False), 2.0)
    voice.sync(room)
    assert plane.heard["2"] is True
    handle(room, Actor(HOST, "h"), Mute(user_id=SPEAKER), 3.0)
    voice.sync(room)
    assert plane.heard["2"] is False
    handle(room, Actor(SPEAKER, "s"), LeaveStage(), 4.0)
    voice.sync(room)
    assert plane.on_stage["2"] is False and room.holding_ptt() == frozenset()


async def test_a_bad_offer_is_refused_and_a_dropped_member_leaves_the_plane() -> None:
    room = _room()
    voice, plane = await _connected(room)
    with pytest.raises(RoomError) as refused:
        await voice.offer(room, SPEAKER, "bad")
    assert refused.value.code == ErrorCode.MEDIA_FAILED
    _ptt(voice, room, HOST, True)
    voice.drop("r", HOST)  # the hub drops the media, then tells the core
    handle(room, Actor(HOST, "h"), Disconnect(), 5.0)
    await asyncio.sleep(0)  # the plane's leave runs as a task
    assert "1" not in plane.joined and room.holding_ptt() == frozenset()
    await voice.close()
    assert plane.stopped and room.holding_ptt() == frozenset()


async def test_speaker_volumes_reach_only_their_listener_and_are_bounded_per_room() -> None:
    room = _room()
    voice, plane = await _connected(room)
    voice.personal_mixes = 1
    voice.set_volumes(room, LISTENER, {SPEAKER: 0, HOST: 100})
    assert plane.gains == {"3": {"2": 0.0}}  # 100 % is the shared mix: not sent on
    with pytest.raises(RoomError) as refused:
        voice.set_volumes(room, HOST, {SPEAKER: 50})
    assert refused.value.code == ErrorCode.PERSONAL_MIX_FULL
    assert plane.gains == {"3": {"2": 0.0}}
    voice.set_volumes(room, LISTENER, {SPEAKER: 150})  # the holder may change theirs
    assert plane.gains == {"3": {"2": 1.5}}
    # Back to 100 %: the slot is free for someone else.
    voice.set_volumes(room, LISTENER, {})
    voice.set_volumes(room, HOST, {SPEAKER: 50})
    assert plane.gains == {"1": {"2": 0.5}}


async def test_speaker_volumes_survive_a_new_connection_but_not_leaving() -> None:
    room = _room()
    voice, plane = await _connected(room)
    voice.set_volumes(room, LISTENER, {SPEAKER: 0})
    voice.drop(room.room_id, LISTENER)  # the connection dropped (grace period)
    await asyncio.sleep(0.01)
    assert "3" not in plane.joined
    await voice.offer(room, LISTENER, "sdp")
    assert plane.gains == {"3": {"2": 0.0}}
    # Gone from the room: forgotten, and no media link means no volumes.
    del room.members[LISTENER]
    voice.sync(room)
    await asyncio.sleep(0.01)
    add(room, LISTENER, Role.LISTENER)
    await voice.offer(room, LISTENER, "sdp")
    assert plane.gains == {}
    voice.drop(room.room_id, LISTENER)
    with pytest.raises(RoomError) as refused:
        voice.set_volumes(room, LISTENER, {SPEAKER: 0})
    assert refused.value.code == ErrorCode.MEDIA_FAILED
