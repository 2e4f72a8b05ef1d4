"""What the server needs from storage; SQLite and PostgreSQL both provide it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.server.rooms.durable import DurableRoom
from app.server.rooms.scheduled_state import ScheduledRoomState


class StoreError(Exception):
    """Storage failed (disk full, database gone); nothing was half-written."""


class UsernameTaken(StoreError):
    pass


class StaleSave(StoreError):
    """A newer cluster origin saved the room: this one's lease is over (fenced)."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    user_id: int
    username: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    user_id: int
    username: str
    expires_at: float
    revoked: bool


@dataclass(frozen=True, slots=True)
class RecordingRecord:
    recording_id: int
    owner_id: int
    host_id: int
    room_id: str
    room_title: str
    # Relative to the recordings directory; the server names it, never a client.
    file_name: str
    started_at: float
    ended_at: float | None
    duration: float
    bytes: int


class Store(Protocol):
    async def create_user(self, username: str, password_hash: str, now: float) -> int:
        """Insert a user; raises UsernameTaken if its case-folded name exists."""
        ...

    async def find_user(self, username: str) -> UserRecord | None:
        """Look a user up by name, case-insensitively."""
        ...

    async def names_of(self, user_ids: list[int]) -> dict[int, str]:
        """The usernames of these users (a user that does not exist is left out)."""
        ...

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace a hash, e.g. after Argon2 parameters were raised."""
        ...

    async def create_session(
        self, user_id: int, token_hash: str, created_at: float, expires_at: float
    ) -> None: ...

    async def find_session(self, token_hash: str) -> SessionRecord | None: ...

    async def revoke_session(self, token_hash: str, now: float) -> None: ...

    async def save_room(self, room: DurableRoom, epoch: int = 0) -> None:
        """Write the room's durable state, replacing what was stored, in one transaction.

        `epoch`: the saving origin's lease epoch (0 outside a cluster); raises
        StaleSave, writing nothing, if the room was saved at a newer one."""
        ...

    async def load_live_rooms(self) -> list[DurableRoom]: ...

    async def create_recording(
        self,
        owner_id: int,
        host_id: int,
        room_id: str,
        room_title: str,
        started_at: float,
        file_name: Callable[[int], str],
    ) -> RecordingRecord:
        """Insert a recording; its file name is made from the new id by `file_name`."""
        ...

    async def finish_recording(
        self, recording_id: int, ended_at: float, duration: float, size: int
    ) -> None: ...

    async def delete_recording(self, recording_id: int) -> None:
        """Forget a recording whose file could not even be opened."""
        ...

    async def find_recording(self, recording_id: int) -> RecordingRecord | None: ...

    async def list_recordings(self, user_id: int) -> list[RecordingRecord]:
        """Recordings `user_id` started or whose room they hosted, newest first."""
        ...

    async def unfinished_recordings(self) -> list[RecordingRecord]:
        """Recordings with no end: the server stopped while they ran."""
        ...

    async def check(self) -> None:
        """Raise StoreError if storage cannot take a write now (full, read-only,
        gone, hung past the timeout); used to report storage health."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """A scheduled room's notice for one person, claimed for delivery."""

    notice_id: int
    schedule_id: str
    user_id: int
    kind: str


class ScheduleStore(Protocol):
    """Scheduled rooms, their reminders and notices (SqlStore provides it too)."""

    async def insert_scheduled(self, state: ScheduledRoomState) -> None: ...

    async def update_scheduled(
        self, state: ScheduledRoomState, notice: str | None, now: float
    ) -> bool:
        """Store `state` if the stored plan is still at `state.version - 1`, and
        queue `notice` for everyone reminded of it, in one transaction; False
        (nothing written) when another change came first."""
        ...

    async def find_scheduled(self, schedule_id: str) -> ScheduledRoomState | None: ...

    async def upcoming_scheduled(self) -> list[ScheduledRoomState]:
        """Every plan still waiting for its start, soonest first."""
        ...

    async def set_reminder(self, schedule_id: str, user_id: int, on: bool, now: float) -> None: ...

    async def reminder_counts(
        self, schedule_ids: list[str], user_id: int
    ) -> tuple[dict[str, int], set[str]]:
        """How many asked to be reminded of each plan, and which of them `user_id` asked for."""
        ...

    async def pending_notice_users(self, since: float) -> set[int]:
        """Who has notices not yet delivered, queued since `since`."""
        ...

    async def claim_notices(
        self, user_ids: list[int], since: float, now: float
    ) -> list[NoticeRecord]:
        """Mark these users' undelivered notices (queued since `since`) delivered
        and return them: each is claimed once, by whichever caller came first."""
        ...


class SchedulingStore(Store, ScheduleStore, Protocol):
    """What the scheduled-rooms shell needs: the plans, and users by name."""
