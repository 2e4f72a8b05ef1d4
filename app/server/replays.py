"""Replays: finished recordings played back by those the room allows.

The permission module decides who may play, change or delete one
(`may_play_replay`, `may_manage_replay`); this shell gathers the facts from
the store, carries the decision out and signs the short-lived links the HTTP
route (`app/server/http/replays.py`) checks on every request. A replay
someone may not play and one that does not exist are the same
`replay_not_found`, so that nobody learns which ids exist.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from app.protocol.errors import ErrorCode
from app.protocol.model import ReplayChoice, ReplayInfo, ReplayVisibility
from app.server.broadcast.tokens import StreamTokens
from app.server.recording_shell import Recordings
from app.server.rooms import RoomError
from app.server.rooms.permissions import may_manage_replay, may_play_replay
from app.server.rooms.replay_access import ReplayFacts, ReplayViewer
from app.server.store.api import RecordingRecord, ReplayViewerRecord, Store, StoreError

log = logging.getLogger(__name__)
T = TypeVar("T")
# Long enough to listen to a long room and seek in it; a leaked link is worth
# nothing once the person may no longer play it (checked on every request).
TOKEN_LIFETIME = 4 * 3600.0
FILE_NAME = "replay.ogg"


class Replays:
    def __init__(
        self,
        store: Store,
        recordings: Recordings,
        tokens: StreamTokens,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._recordings = recordings
        self.tokens = tokens
        self._clock = clock

    async def list_for(self, user_id: int) -> list[ReplayInfo]:
        candidates = await _call(self._store.replay_candidates(user_id))
        return [
            _info(record, user_id)
            for record, seen in candidates
            if may_play_replay(_facts(record), _viewer(user_id, seen))
        ]

    async def open(self, user_id: int, recording_id: int) -> tuple[str, float, ReplayInfo]:
        """A signed path to play the replay, its expiry, and the replay."""
        record = await _call(self.playable(user_id, recording_id))
        if record is None:
            raise _not_found()
        token = self.tokens.issue(str(recording_id), user_id, self._clock())
        expires = int(self._clock() + self.tokens.lifetime)
        return f"/replays/{recording_id}/t/{token}/{FILE_NAME}", expires, _info(record, user_id)

    async def playable(self, user_id: int, recording_id: int) -> RecordingRecord | None:
        """The recording if `user_id` may play it now (StoreError if storage fails)."""
        record = await self._store.find_recording(recording_id)
        if record is None:
            return None
        seen = await self._store.replay_viewer(recording_id, user_id)
        return record if may_play_replay(_facts(record), _viewer(user_id, seen)) else None

    def verify(self, recording_id: int, token: str) -> int | None:
        """Who the link was signed for, or None (forged, another replay's, expired)."""
        return self.tokens.verify(str(recording_id), token, self._clock())

    def path_of(self, record: RecordingRecord) -> Path:
        return self._recordings.path_of(record)

    async def choose(self, user_id: int, recording_id: int, choice: ReplayChoice) -> None:
        """The host's choice: public, private, or deleted (file, then row)."""
        record = await _call(self.playable(user_id, recording_id))
        if record is None:
            raise _not_found()
        if not may_manage_replay(_facts(record), user_id):
            raise RoomError(ErrorCode.FORBIDDEN, "only the room's host may change its replay")
        if choice != "deleted":
            await _call(self._store.set_replay_visibility(recording_id, choice))
            return
        await self.delete(record)

    async def delete(self, record: RecordingRecord) -> None:
        # The file first: if it cannot go, the row stays and the host can try
        # again; a file already gone is no reason to keep the row.
        path = self.path_of(record)
        try:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise RoomError(
                ErrorCode.UNAVAILABLE, f"could not delete the replay's file: {why}"
            ) from None
        await _call(self._store.delete_recording(record.recording_id))
        log.info("replay %d deleted by its host", record.recording_id)


def _facts(record: RecordingRecord) -> ReplayFacts:
    return ReplayFacts(
        visibility=record.visibility,
        invite_only=record.invite_only,
        host_id=record.host_id,
        owner_id=record.owner_id,
        finished=record.ended_at is not None,
    )


def _viewer(user_id: int, seen: ReplayViewerRecord) -> ReplayViewer:
    return ReplayViewer(user_id, seen.member, seen.moderator)


def _info(record: RecordingRecord, user_id: int) -> ReplayInfo:
    visibility: ReplayVisibility = "public" if record.visibility == "public" else "private"
    return ReplayInfo(
        recording_id=record.recording_id,
        room_id=record.room_id,
        room_title=record.room_title,
        started_at=record.started_at,
        ended_at=record.ended_at if record.ended_at is not None else record.started_at,
        duration=record.duration,
        visibility=visibility,
        invite_only=record.invite_only,
        manage=may_manage_replay(_facts(record), user_id),
    )


def _not_found() -> RoomError:
    return RoomError(ErrorCode.REPLAY_NOT_FOUND, "no replay with that id that you may play")


async def _call(work: Awaitable[T]) -> T:
    try:
        return await work
    except StoreError as exc:
        raise RoomError(ErrorCode.UNAVAILABLE, f"storage failed: {exc}") from None
