"""The recording shell: files and metadata for rooms whose moderators record them.

The room core decides who may record and carries the flag; this shell makes
it real. Starting creates the metadata row and the file and taps the room's
audience packets (what listeners hear) into the recorder; stopping finishes
the file and the row. A recorder that fails reports back through `on_failure`
(the hub turns that into `recording_changed` with reason "failed").

Files are named `<id>-<room id>.ogg` under the recordings directory; a URL
only ever carries the id.
"""

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import platformdirs

from app.protocol.errors import ErrorCode
from app.protocol.model import RecordingInfo
from app.server.rooms import Room, RoomError
from app.server.store.api import RecordingRecord, Store, StoreError
from app.server.store.urls import parse_db_url
from app.server.voice_rooms import MediaPlane, VoiceRooms

log = logging.getLogger(__name__)
T = TypeVar("T")
# Below this much free space a recording is not started: it would fail
# within minutes (an hour of the audience mix is some 15 MB).
MIN_FREE_BYTES = 16 * 1024 * 1024


class Recorder(Protocol):
    """What app.media.server.recorder.OggOpusRecorder provides."""

    def write(self, payload: bytes) -> None: ...
    async def stop(self) -> "RecorderResult": ...


class RecorderResult(Protocol):
    @property
    def bytes(self) -> int: ...
    @property
    def duration(self) -> float: ...
    @property
    def error(self) -> str | None: ...


# Opens a recorder writing to a path; the callback gets a failure's reason.
RecorderFactory = Callable[[Path, Callable[[str], None]], Awaitable[Recorder]]
FailureHook = Callable[[str, str], None]  # (room_id, reason)


@dataclass
class _Active:
    record: RecordingRecord
    recorder: Recorder
    plane: MediaPlane
    # Who was in the room as it stopped (user id -> moderator), for its replay.
    viewers: dict[int, bool] | None = None
    invite_only: bool = False


class Recordings:
    def __init__(
        self,
        store: Store,
        voice: VoiceRooms,
        directory: Path,
        recorder_factory: RecorderFactory | None,
        clock: Callable[[], float],
        min_free_bytes: int = MIN_FREE_BYTES,
    ) -> None:
        self._store = store
        self.min_free_bytes = min_free_bytes
        self._voice = voice
        self.directory = directory
        self._factory = recorder_factory
        self._clock = clock
        self.on_failure: FailureHook = lambda _room_id, _reason: None
        self._active: dict[str, _Active] = {}
        self._stopping: dict[str, asyncio.Task[None]] = {}

    def active(self, room_id: str) -> bool:
        return room_id in self._active

    def active_id(self, room_id: str) -> int | None:
        """The id of the recording running in this room, if one is."""
        active = self._active.get(room_id)
        return None if active is None else active.record.recording_id

    def path_of(self, record: RecordingRecord) -> Path:
        return self.directory / record.file_name

    async def start(self, room: Room, owner_id: int) -> None:
        """Open the file and start tapping the room's audience mix; RoomError if we cannot.

        The caller serialises starts per room (the hub holds a lock), so that
        two moderators never open two files for one room.
        """
        if room.room_id in self._active:
            return
        plane = self._voice.ensure_plane(room.room_id)
        if plane is None or self._factory is None:
            raise RoomError(
                ErrorCode.RECORDING_UNAVAILABLE,
                "this server runs without audio (--no-media), so it cannot record",
            )
        try:
            await asyncio.to_thread(self.directory.mkdir, parents=True, exist_ok=True)
            free = (await asyncio.to_thread(shutil.disk_usage, self.directory)).free
        except OSError as exc:
            raise _unwritable(self.directory, exc) from None
        if free < self.min_free_bytes:
            raise RoomError(
                ErrorCode.RECORDING_UNAVAILABLE,
                f"the disk holding {self.directory} is full ({free // 1024} KiB free)",
            )
        record = await _call(
            self._store.create_recording(
                owner_id,
                room.host_id,
                room.room_id,
                room.title,
                self._clock(),
                lambda recording_id: f"{recording_id}-{room.room_id}.ogg",
            )
        )
        room_id = room.room_id

        def failed(reason: str) -> None:
            # Only while this very recording runs: a late report from a stopped
            # one must not stop the next recording of the room.
            active = self._active.get(room_id)
            if active is not None and active.record.recording_id == record.recording_id:
                self.on_failure(room_id, reason)

        try:
            recorder = await self._factory(self.path_of(record), failed)
        except Exception as exc:  # OSError mostly; PyAV raises its own errors too
            await self._forget(record)
            with contextlib.suppress(OSError):  # a header that did not fit
                await asyncio.to_thread(self.path_of(record).unlink, missing_ok=True)
            raise _unwritable(self.directory, exc) from None
        self._active[room_id] = _Active(record, recorder, plane)
        plane.add_audience_tap(recorder.write)
        log.info("recording room %s to %s", room_id, self.path_of(record))

    def stop_soon(
        self, room_id: str, viewers: dict[int, bool] | None = None, invite_only: bool = False
    ) -> "asyncio.Task[None] | None":
        """Stop tapping now; finish the file and its row in the background.
        `viewers`: who was in the room now (user id -> moderator), kept for its replay."""
        active = self._active.pop(room_id, None)
        if active is None:
            return self._stopping.get(room_id)
        active.viewers, active.invite_only = viewers, invite_only
        active.plane.remove_audience_tap(active.recorder.write)
        task = asyncio.get_running_loop().create_task(self._finish(active))
        self._stopping[room_id] = task

        def done(finished: "asyncio.Task[None]") -> None:
            if self._stopping.get(room_id) is finished:
                del self._stopping[room_id]

        task.add_done_callback(done)
        return task

    async def stop(self, room_id: str) -> None:
        """Stop and wait until the file and its row are final."""
        task = self.stop_soon(room_id)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        for room_id in list(self._active):
            self.stop_soon(room_id)
        for task in list(self._stopping.values()):
            await task

    async def close_unfinished(self) -> list[RecordingRecord]:
        """After a restart: close the rows of recordings the last run never finished."""
        unfinished = await self._store.unfinished_recordings()
        for record in unfinished:
            size, ended = await asyncio.to_thread(_size_and_mtime, self.path_of(record))
            ended_at = max(record.started_at, ended or record.started_at)
            await self._store.finish_recording(
                record.recording_id, ended_at, ended_at - record.started_at, size
            )
        return unfinished

    async def _finish(self, active: _Active) -> None:
        result = await active.recorder.stop()
        record = active.record
        try:
            await self._store.finish_recording(
                record.recording_id, self._clock(), result.duration, result.bytes
            )
            if active.viewers is not None:
                await self._store.save_replay_viewers(
                    record.recording_id, active.invite_only, active.viewers
                )
        except StoreError as exc:
            log.error("could not save the end of recording %d: %s", record.recording_id, exc)
        log.info(
            "recording %d finished: %.1f s, %d bytes%s",
            record.recording_id,
            result.duration,
            result.bytes,
            f" (stopped early: {result.error})" if result.error else "",
        )

    async def _forget(self, record: RecordingRecord) -> None:
        try:
            await self._store.delete_recording(record.recording_id)
        except StoreError as exc:
            log.error("could not delete recording %d: %s", record.recording_id, exc)

    async def list_for(self, user_id: int) -> list[RecordingInfo]:
        """What `user_id` may download: recordings they started or whose room they hosted."""
        records = await _call(self._store.list_recordings(user_id))
        return [
            RecordingInfo(
                recording_id=r.recording_id,
                room_id=r.room_id,
                room_title=r.room_title,
                started_at=r.started_at,
                ended_at=r.ended_at,
                duration=r.duration,
                bytes=r.bytes,
            )
            for r in records
        ]

    async def find_for(self, user_id: int, recording_id: int) -> RecordingRecord | None:
        """The recording if `user_id` may download it; None alike when it does not
        exist and when it is someone else's, so that nobody learns which."""
        record = await self._store.find_recording(recording_id)
        if record is None or user_id not in (record.owner_id, record.host_id):
            return None
        return record


async def _call(work: Awaitable[T]) -> T:
    try:
        return await work
    except StoreError as exc:
        raise RoomError(ErrorCode.UNAVAILABLE, f"storage failed: {exc}") from None


def default_directory(db_url: str) -> Path:
    """`recordings/` next to a SQLite file; else in the user data directory."""
    db = parse_db_url(db_url)
    if db.sqlite and not db.memory and db.url.database:
        return Path(db.url.database).parent / "recordings"
    return Path(platformdirs.user_data_dir("panggung", appauthor=False)) / "recordings"


def _unwritable(directory: Path, exc: Exception) -> RoomError:
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return RoomError(
        ErrorCode.RECORDING_UNAVAILABLE, f"cannot write recordings to {directory}: {reason}"
    )


def _size_and_mtime(path: Path) -> tuple[int, float | None]:
    try:
        stat = path.stat()
    except OSError:
        return 0, None
    return stat.st_size, stat.st_mtime
