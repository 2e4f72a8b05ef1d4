"""Which rooms write HLS, where, and who may fetch it.

A room pays for HLS (one AAC encode of its audience mix) only while someone
listens that way: the first request for its playlist starts the writer and
waits for the first segment; a writer nobody fetched from for
`idle_timeout` stops and its files go. Through a CDN or nginx the origin
still sees the playlist about once a second while anyone listens, so the
idle rule holds behind a cache too. A room that ends (or moves to another
node) has its writer stopped and its directory removed by the sweeper.

Files live in `ROOT/PID/ROOM_ID/N/` (N counts the room's starts, so a
failed writer's files can still be going while the next one writes): one
directory per server process, so two servers sharing a data directory
never remove each other's files, and a crashed process's leftovers are
removed by the next start.

Visibility follows the directory's rule: a public room's stream is for
anyone; an invite-only room's only for its members, with a signed token
(tokens.py). Anything else looks like a room that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from app.protocol.errors import ErrorCode
from app.protocol.replies import BroadcastStream
from app.server.broadcast.tokens import StreamTokens
from app.server.rooms import Room
from app.server.rooms.errors import RoomError
from app.server.voice_rooms import MediaPlane, VoiceRooms

log = logging.getLogger(__name__)

PLAYLIST = "index.m3u8"
# Below this much free space no writer starts (a room's window is ~70 KB).
MIN_FREE_BYTES = 4 * 1024 * 1024
# How far a player is behind the live room: a segment is listed once whole
# (1 s) and a player buffers about 1.5 s before it plays; the HLS listening
# test measured 2.2-2.3 s. For the clients' "a few seconds behind" label.
BEHIND_SECONDS = 2.5
_SERVED_KEPT = 64  # per-file request counts kept per writer (the newest files)


class HlsWriter(Protocol):
    """What app.media.server.hls.HlsWriter provides."""

    @property
    def running(self) -> bool: ...
    def write(self, pcm: NDArray[np.int16]) -> None: ...
    async def stop(self) -> None: ...


# Opens a writer into a directory; the callback gets a failure's reason.
WriterFactory = Callable[[Path, Callable[[str], None]], Awaitable[HlsWriter]]
RoomLookup = Callable[[str], Room | None]


class Unavailable(Exception):
    """No stream now (no media, a full disk, a writer that failed); try again later."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass
class _Stream:
    room_id: str
    directory: Path
    writer: HlsWriter
    tap: Callable[[NDArray[np.int16]], None]
    plane: MediaPlane
    last_fetch: float
    served: dict[str, int] = field(default_factory=dict)
    playlists: int = 0  # playlist bodies sent


class Broadcasts:
    def __init__(
        self,
        rooms: RoomLookup,
        voice: VoiceRooms,
        root: Path,
        writer_factory: WriterFactory | None,
        tokens: StreamTokens,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        idle_timeout: float = 30.0,
        start_timeout: float = 5.0,
        retry_after: float = 10.0,
        min_free_bytes: int = MIN_FREE_BYTES,
    ) -> None:
        self._rooms = rooms
        self._voice = voice
        self.root = root
        self.directory = root / str(os.getpid())
        self._factory = writer_factory
        self.tokens = tokens
        self._clock = clock
        self._wall_clock = wall_clock
        self.idle_timeout = idle_timeout
        self.start_timeout = start_timeout
        self.retry_after = retry_after
        self.min_free_bytes = min_free_bytes
        self._streams: dict[str, _Stream] = {}
        self._starting: dict[str, asyncio.Task[_Stream]] = {}
        self._failed: dict[str, float] = {}  # room -> when a failed writer may be retried
        self._removing: set[asyncio.Task[None]] = set()
        self._starts = itertools.count(1)
        # One sweep at a time: a sweep that returns has finished stopping what
        # it found, even if the periodic one had found it first.
        self._sweeping = asyncio.Lock()

    # -- who may listen ----------------------------------------------------

    def holds(self, room_id: str) -> bool:
        """This node is the room's origin (else an edge serves it from there)."""
        return self._rooms(room_id) is not None

    def visible_room(self, room_id: str, token: str | None) -> Room | None:
        """The live room if this request may hear it, else None (then: 404)."""
        room = self._rooms(room_id)
        if room is None or not room.live:
            return None
        if token is None:
            return None if room.invite_only else room
        user_id = self.tokens.verify(room_id, token, self._wall_clock())
        if user_id is None or user_id in room.bans or user_id not in room.members:
            return None
        return room

    def token_for(self, room_id: str, user_id: int) -> str:
        return self.tokens.issue(room_id, user_id, self._wall_clock())

    def stream_for(self, room: Room, user_id: int) -> BroadcastStream:
        """Where a member of `room` listens to its broadcast (`listen_broadcast`)."""
        if self._factory is None:
            raise RoomError(ErrorCode.MEDIA_FAILED, "this server has no media plane")
        return self.stream_at(room.room_id, room.invite_only, user_id)

    def stream_at(self, room_id: str, invite_only: bool, user_id: int) -> BroadcastStream:
        """The path on this node, which serves it as origin or as an edge; an
        invite-only room's carries the member's token."""
        if invite_only:
            token = self.token_for(room_id, user_id)
            playlist = f"/hls/{room_id}/t/{token}/{PLAYLIST}"
        else:
            playlist = f"/hls/{room_id}/{PLAYLIST}"
        return BroadcastStream(playlist=playlist, behind_seconds=BEHIND_SECONDS)

    # -- streams -----------------------------------------------------------

    async def playlist(self, room: Room) -> Path:
        """The room's playlist, starting its writer if none runs (waits for the
        first segment, at most `start_timeout`); Unavailable if there is none."""
        stream = self._streams.get(room.room_id)
        if stream is None or not stream.writer.running:
            stream = await self._start(room)
        path = stream.directory / PLAYLIST
        deadline = self._clock() + self.start_timeout
        while True:
            stream.last_fetch = self._clock()  # a request waiting is a listener too
            if path.is_file():
                return path
            if not stream.writer.running or self._clock() >= deadline:
                raise Unavailable("the broadcast is starting; try again", 1)
            await asyncio.sleep(0.05)

    def file(self, room_id: str, name: str) -> Path | None:
        """A segment or init section of the room's running writer (name already
        checked against the route's pattern)."""
        stream = self._streams.get(room_id)
        if stream is None:
            return None
        stream.last_fetch = self._clock()
        return stream.directory / name

    def count(self, room_id: str, name: str) -> None:
        """One more response with this file's body (not 304s, not 404s)."""
        stream = self._streams.get(room_id)
        if stream is None:
            return
        if name == PLAYLIST:
            stream.playlists += 1
            return
        served = stream.served
        served[name] = served.get(name, 0) + 1
        if len(served) > _SERVED_KEPT:  # oldest first: dicts keep insertion order
            for old in list(served)[: _SERVED_KEPT // 2]:
                del served[old]

    def served(self, room_id: str) -> dict[str, int]:
        """Responses per file of the room's stream (the newest files), for tests and ops."""
        stream = self._streams.get(room_id)
        return dict(stream.served) if stream is not None else {}

    def playlists_served(self, room_id: str) -> int:
        """Playlist bodies the room's running writer's stream sent (tests, ops)."""
        stream = self._streams.get(room_id)
        return stream.playlists if stream is not None else 0

    def streaming(self, room_id: str) -> bool:
        stream = self._streams.get(room_id)
        return stream is not None and stream.writer.running

    async def _start(self, room: Room) -> _Stream:
        task = self._starting.get(room.room_id)
        if task is None:  # concurrent first requests share one start
            task = asyncio.get_running_loop().create_task(self._open(room))
            self._starting[room.room_id] = task
            task.add_done_callback(lambda _t: self._starting.pop(room.room_id, None))
        return await asyncio.shield(task)

    async def _open(self, room: Room) -> _Stream:
        room_id = room.room_id
        retry = self._failed.get(room_id)
        now = self._clock()
        if retry is not None and now < retry:
            raise Unavailable("the broadcast failed; try again later", round(retry - now) + 1)
        old = self._streams.pop(room_id, None)
        if old is not None:  # a writer that failed: its files go first
            await self._stop(old)
        plane = self._voice.ensure_plane(room_id)
        if plane is None or self._factory is None:
            raise Unavailable("this server runs without audio (--no-media)", 3600)
        # A directory per start: a failed writer's files may still be going
        # while the next one writes.
        directory = self.directory / room_id / str(next(self._starts))
        try:
            await asyncio.to_thread(self._prepare, directory)
            writer = await self._factory(
                directory, lambda _reason: self._writer_failed(room_id, directory)
            )
        except OSError as exc:
            log.warning("broadcast (HLS) of room %s not started: %s", room_id, exc)
            self._failed[room_id] = now + self.retry_after
            reason = "the broadcast cannot be written now"
            raise Unavailable(reason, round(self.retry_after)) from None
        self._failed.pop(room_id, None)
        stream = _Stream(room_id, directory, writer, writer.write, plane, now)
        plane.add_mix_tap(stream.tap)
        self._streams[room_id] = stream
        log.info("broadcast (HLS) of room %s started in %s", room_id, directory)
        return stream

    def _prepare(self, directory: Path) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.directory).free
        if free < self.min_free_bytes:
            raise OSError(f"the disk holding {self.directory} is full ({free // 1024} KiB free)")
        directory.mkdir(parents=True)

    def _writer_failed(self, room_id: str, directory: Path) -> None:
        # Called on the loop by the writer; its reason is logged by the writer.
        stream = self._streams.get(room_id)
        if stream is None or stream.directory != directory:
            return  # a late report from a writer already replaced
        self._failed[room_id] = self._clock() + self.retry_after
        del self._streams[room_id]
        self._spawn(self._stop(stream))

    async def _stop(self, stream: _Stream) -> None:
        stream.plane.remove_mix_tap(stream.tap)
        try:
            await stream.writer.stop()
        except Exception:
            log.exception("stopping the broadcast of room %s failed", stream.room_id)
        await asyncio.to_thread(_remove, stream.directory)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work

        task = asyncio.get_running_loop().create_task(run())
        self._removing.add(task)
        task.add_done_callback(self._removing.discard)

    # -- housekeeping ------------------------------------------------------

    async def sweep(self) -> None:
        """Stop the writers of rooms that ended, moved, or nobody fetches from."""
        async with self._sweeping:
            await self._sweep()

    async def _sweep(self) -> None:
        now = self._clock()
        for room_id, stream in list(self._streams.items()):
            room = self._rooms(room_id)
            gone = room is None or not room.live
            if gone or now - stream.last_fetch > self.idle_timeout:
                del self._streams[room_id]
                log.info(
                    "broadcast (HLS) of room %s stopped: %s",
                    room_id,
                    "the room ended" if gone else "nobody listens",
                )
                await self._stop(stream)
        for room_id, retry in list(self._failed.items()):
            if now >= retry:
                del self._failed[room_id]

    async def run_sweeper(self, interval: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:  # one room's trouble never stops the others' cleanup
                log.exception("the broadcast sweeper failed; it goes on")

    async def remove_leftovers(self) -> None:
        """Remove the directories of server processes that are gone (a crash)."""
        await asyncio.to_thread(_remove_dead, self.root)

    async def close(self) -> None:
        for task in list(self._starting.values()):
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task
        for room_id in list(self._streams):
            await self._stop(self._streams.pop(room_id))
        for removal in list(self._removing):
            with contextlib.suppress(Exception):
                await removal
        await asyncio.to_thread(shutil.rmtree, self.directory, True)


def _remove(directory: Path) -> None:
    """A writer's files, and its room's directory once no other writer is in it."""
    shutil.rmtree(directory, ignore_errors=True)
    with contextlib.suppress(OSError):
        directory.parent.rmdir()


def _remove_dead(root: Path) -> None:
    try:
        children = list(root.iterdir())
    except OSError:
        return
    for child in children:
        if child.name.isdigit() and child.is_dir() and not _alive(int(child.name)):
            shutil.rmtree(child, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
