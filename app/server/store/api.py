"""What the server needs from storage; SQLite and PostgreSQL both provide it."""

from dataclasses import dataclass
from typing import Protocol

from app.server.rooms.durable import DurableRoom


class StoreError(Exception):
    """Storage failed (disk full, database gone); nothing was half-written."""


class UsernameTaken(StoreError):
    pass


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


class Store(Protocol):
    async def create_user(self, username: str, password_hash: str, now: float) -> int:
        """Insert a user; raises UsernameTaken if its case-folded name exists."""
        ...

    async def find_user(self, username: str) -> UserRecord | None:
        """Look a user up by name, case-insensitively."""
        ...

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace a hash, e.g. after Argon2 parameters were raised."""
        ...

    async def create_session(
        self, user_id: int, token_hash: str, created_at: float, expires_at: float
    ) -> None: ...

    async def find_session(self, token_hash: str) -> SessionRecord | None: ...

    async def revoke_session(self, token_hash: str, now: float) -> None: ...

    async def save_room(self, room: DurableRoom) -> None:
        """Write the room's durable state, replacing what was stored, in one transaction."""
        ...

    async def load_live_rooms(self) -> list[DurableRoom]: ...

    async def close(self) -> None: ...
