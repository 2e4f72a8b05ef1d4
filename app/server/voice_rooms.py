"""The media shell: keeps each room's media plane in line with the room core.

After every change the core makes, `sync` reads who is on stage and who is
heard from the core (`may_be_heard`: push-to-talk is core state like the
mutes), never from what a client claims, and pushes the difference into the
plane. It decides nothing itself.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from app.protocol.errors import ErrorCode
from app.server.rooms import Room, RoomError
from app.server.rooms.permissions import may_be_heard, may_listen_live
from app.server.rooms.state import ParticipantId, participant_id, user_id_of

log = logging.getLogger(__name__)


class MediaPlane(Protocol):
    """One room's audio: what app.media.server.room.RoomMedia provides."""

    async def join(self, pid: ParticipantId, offer_sdp: str) -> str: ...
    async def leave(self, pid: ParticipantId) -> None: ...
    def set_on_stage(self, pid: ParticipantId, on_stage: bool) -> None: ...
    def set_heard(self, pid: ParticipantId, heard: bool) -> None: ...
    def set_gains(self, pid: ParticipantId, gains: dict[str, float]) -> None: ...
    def start(self) -> None: ...
    async def stop(self) -> None: ...
    # Keyed by the ParticipantIds the plane was given (a str-keyed dict serves:
    # dict keys are invariant, and the plane stores what it got).
    def take_levels(self) -> dict[str, float]: ...
    def add_audience_tap(self, tap: Callable[[bytes], None]) -> None: ...
    def remove_audience_tap(self, tap: Callable[[bytes], None]) -> None: ...
    def add_mix_tap(self, tap: Callable[[NDArray[np.int16]], None]) -> None: ...
    def remove_mix_tap(self, tap: Callable[[NDArray[np.int16]], None]) -> None: ...
    # Complete audience RTP packets, for the relay to edge nodes.
    def add_packet_tap(self, tap: Callable[[bytes], None]) -> None: ...
    def remove_packet_tap(self, tap: Callable[[bytes], None]) -> None: ...


MediaFactory = Callable[[], MediaPlane]

# Members per room who may hear a mix of their own (per-speaker volume): each
# costs an encode every 20 ms, as a stage member's N-1 does (docs/media.md).
PERSONAL_MIXES = 8


class VoiceRooms:
    def __init__(
        self,
        factory: MediaFactory | None,
        capacity: int | None = None,
        personal_mixes: int = PERSONAL_MIXES,
    ) -> None:
        self._factory = factory
        self.personal_mixes = personal_mixes
        # Per room: user id -> the per-speaker volumes (percent) they asked for.
        self._volumes: dict[str, dict[int, dict[int, int]]] = {}
        # Live links this node gives listeners; beyond it they get the broadcast.
        self.capacity = capacity
        self._planes: dict[str, MediaPlane] = {}
        # Per room: user id -> (on_stage, heard) as last pushed into the plane.
        self._applied: dict[str, dict[int, tuple[bool, bool]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Links this node gives listeners of rooms held elsewhere (the edge relay).
        self.relayed_links: Callable[[], int] = lambda: 0

    @property
    def enabled(self) -> bool:
        return self._factory is not None

    async def offer(self, room: Room, user_id: int, sdp: str) -> str:
        """Open (or replace) a member's peer connection; returns the SDP answer."""
        plane = self.ensure_plane(room.room_id)
        if plane is None:
            raise RoomError(ErrorCode.MEDIA_FAILED, "this server has no media plane")
        live = self.live_links(besides=(room.room_id, user_id))
        if not may_listen_live(room, user_id, live, self.capacity):
            raise RoomError(
                ErrorCode.BROADCAST_ONLY,
                "the live audio is full; listen to the broadcast, a few seconds behind",
            )
        applied = self._applied[room.room_id]
        if applied.pop(user_id, None) is not None:
            # A reconnecting client replaces its connection.
            await plane.leave(participant_id(user_id))
        try:
            answer = await plane.join(participant_id(user_id), sdp)
        except Exception as exc:  # aiortc raises assorted types for a bad SDP
            log.info("media offer from %d refused: %s", user_id, exc)
            raise RoomError(ErrorCode.MEDIA_FAILED, f"cannot use this offer: {exc}") from None
        applied[user_id] = (False, False)
        room_volumes = self._volumes.get(room.room_id, {})
        volumes = room_volumes.get(user_id)
        if volumes:  # a new connection keeps what its member had set, if still room
            if self._mixes_in_use(room.room_id, besides=user_id) < self.personal_mixes:
                plane.set_gains(participant_id(user_id), _gains(volumes))
            else:
                del room_volumes[user_id]
        self.sync(room)
        return answer

    def set_volumes(self, room: Room, user_id: int, volumes: dict[int, int]) -> None:
        """``user_id`` hears each speaker at their percent (only their own audio);
        at most `personal_mixes` members of a room at once."""
        plane = self._planes.get(room.room_id)
        applied = self._applied.get(room.room_id, {})
        if plane is None or user_id not in applied:
            raise RoomError(ErrorCode.MEDIA_FAILED, "no audio connection: send media_offer first")
        volumes = {speaker: pct for speaker, pct in volumes.items() if pct != 100}
        room_volumes = self._volumes.setdefault(room.room_id, {})
        if volumes and self._mixes_in_use(room.room_id, besides=user_id) >= self.personal_mixes:
            raise RoomError(
                ErrorCode.PERSONAL_MIX_FULL,
                f"per-speaker volume is in use by {self.personal_mixes} listeners of this room",
            )
        if volumes:
            room_volumes[user_id] = volumes
        else:
            room_volumes.pop(user_id, None)
        plane.set_gains(participant_id(user_id), _gains(volumes))

    def _mixes_in_use(self, room_id: str, besides: int) -> int:
        """Members with a live link and a mix of their own, `besides` not counted."""
        applied = self._applied.get(room_id, {})
        volumes = self._volumes.get(room_id, {})
        return sum(1 for user_id in volumes if user_id in applied and user_id != besides)

    def ensure_plane(self, room_id: str) -> MediaPlane | None:
        """The room's media plane, started on first use; None without media."""
        if self._factory is None:
            return None
        plane = self._planes.get(room_id)
        if plane is None:
            plane = self._planes[room_id] = self._factory()
            self._applied[room_id] = {}
            plane.start()
        return plane

    def live_links(self, besides: tuple[str, int] | None = None) -> int:
        """Peer connections open on this node, over all rooms (not counting
        `besides`, a (room, user) about to replace its own)."""
        count = sum(len(applied) for applied in self._applied.values()) + self.relayed_links()
        if besides is not None and besides[1] in self._applied.get(besides[0], {}):
            count -= 1
        return count

    def sync(self, room: Room) -> None:
        plane = self._planes.get(room.room_id)
        if plane is None:
            return
        if not room.live:
            self._spawn(self.close_room(room.room_id))
            return
        applied = self._applied[room.room_id]
        room_volumes = self._volumes.get(room.room_id, {})
        for user_id in [u for u in room_volumes if u not in room.members]:
            del room_volumes[user_id]  # gone from the room (kept through a reconnect)
        for user_id, (was_on_stage, was_heard) in list(applied.items()):
            member = room.members.get(user_id)
            if member is None or not member.connected:
                self.drop(room.room_id, user_id)
                continue
            on_stage = member.on_stage
            heard = may_be_heard(room, user_id)
            if on_stage != was_on_stage:
                plane.set_on_stage(participant_id(user_id), on_stage)
            if on_stage and (heard != was_heard or on_stage != was_on_stage):
                plane.set_heard(participant_id(user_id), heard)
            applied[user_id] = (on_stage, heard)

    def take_levels(self) -> dict[str, list[tuple[int, float]]]:
        """Per room, who was heard since the last call and how loud (loudest first)."""
        out: dict[str, list[tuple[int, float]]] = {}
        for room_id, plane in self._planes.items():
            levels = [
                (user_id_of(ParticipantId(pid)), round(level, 2))
                for pid, level in plane.take_levels().items()
            ]
            out[room_id] = sorted(levels, key=lambda item: -item[1])
        return out

    def drop(self, room_id: str, user_id: int) -> None:
        """The member's connection or place is gone: release their peer connection."""
        applied = self._applied.get(room_id)
        if applied is None or applied.pop(user_id, None) is None:
            return
        self._spawn(self._planes[room_id].leave(participant_id(user_id)))

    async def close_room(self, room_id: str) -> None:
        plane = self._planes.pop(room_id, None)
        self._applied.pop(room_id, None)
        self._volumes.pop(room_id, None)
        if plane is not None:
            await plane.stop()

    async def close(self) -> None:
        for room_id in list(self._planes):
            await self.close_room(room_id)
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _gains(volumes: dict[int, int]) -> dict[str, float]:
    return {participant_id(speaker): pct / 100 for speaker, pct in volumes.items()}
