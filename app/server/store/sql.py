"""The Store on SQLAlchemy async Core: SQLite (aiosqlite) by default, PostgreSQL (asyncpg)."""

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.dml import Insert

from app.server.rooms.durable import DurableRoom
from app.server.rooms.scheduled_state import ScheduledRoomState
from app.server.store import recordings as recording_queries
from app.server.store import rows
from app.server.store import schedules as schedule_queries
from app.server.store.api import (
    NoticeRecord,
    RecordingRecord,
    SessionRecord,
    StaleSave,
    StoreError,
    UsernameTaken,
    UserRecord,
)
from app.server.store.engine import DEFAULT_TIMEOUT_S, SQLITE_BEGIN, create_engine
from app.server.store.migrate import upgrade_to_head
from app.server.store.schema import room_bans, room_invites, room_members, rooms, sessions, users
from app.server.store.urls import parse_db_url

# What drivers raise when the database fails. SQLAlchemy wraps most driver
# errors (asyncpg's too, even while connecting); a refused or timed-out
# connection escapes as OSError.
_DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    OSError,
    sqlite3.Error,
)


async def open_store(url: str, timeout: float = DEFAULT_TIMEOUT_S) -> "SqlStore":
    """Open the database at `url`, migrate it to the newest schema, and return the store.

    Accepts sqlite:///PATH, sqlite:///:memory:, postgresql:// and postgres:// URLs;
    raises ValueError for anything else, StoreError if the database fails.
    `timeout` bounds each PostgreSQL operation (see engine.DEFAULT_TIMEOUT_S).
    """
    db = parse_db_url(url)
    path: Path | None = None
    if db.sqlite and not db.memory and db.url.database:
        path = Path(db.url.database)
        # SQLite's own message for this is "unable to open database file".
        if not path.parent.is_dir():
            raise StoreError(f"could not open the database: no directory {path.parent}")
    engine = create_engine(db, timeout)
    try:
        async with _failures("open the database"):
            await upgrade_to_head(engine)
        store = SqlStore(engine, sqlite=db.sqlite, memory=db.memory, path=path)
    except BaseException:
        await engine.dispose()
        raise
    return store


class SqlStore:
    """Implements app.server.store.api.Store; build it with open_store()."""

    def __init__(
        self, engine: AsyncEngine, *, sqlite: bool, memory: bool, path: Path | None = None
    ) -> None:
        self._engine = engine
        self._sqlite = sqlite
        # A SQLite file deleted (or replaced) under a running server goes on
        # working on the open file, which vanishes when the server stops; so
        # every write first checks that the file is still the one we opened.
        self._path = path
        self._identity = _identity(path) if path is not None else None
        self._writer = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        # A SQLite transaction reads one snapshot already; PostgreSQL's default
        # READ COMMITTED lets each query see newer commits, so several queries
        # that must agree ask for REPEATABLE READ.
        self._snapshot_reader = (
            engine if sqlite else engine.execution_options(isolation_level="REPEATABLE READ")
        )
        # SQLite has one writer at a time: queue this process's writers here
        # rather than in SQLite's busy-wait. In-memory SQLite is one shared
        # connection, so there even reads must take turns.
        self._write_lock: AbstractAsyncContextManager[object] = (
            asyncio.Lock() if sqlite else nullcontext()
        )
        self._read_lock: AbstractAsyncContextManager[object] = (
            self._write_lock if memory else nullcontext()
        )

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def create_user(self, username: str, password_hash: str, now: float) -> int:
        async with self._write("create a user") as conn:
            try:
                result = await conn.execute(
                    insert(users).values(
                        username=username,
                        username_key=username.casefold(),
                        password_hash=password_hash,
                        created_at=now,
                    )
                )
            except IntegrityError as exc:
                raise UsernameTaken(f"username {username!r} is taken") from exc
            key = result.inserted_primary_key
        if key is None:
            raise StoreError("could not create a user: the database returned no id")
        return int(key[0])

    async def find_user(self, username: str) -> UserRecord | None:
        query = select(users.c.id, users.c.username, users.c.password_hash).where(
            users.c.username_key == username.casefold()
        )
        async with self._read("find a user") as conn:
            row = (await conn.execute(query)).one_or_none()
        if row is None:
            return None
        return UserRecord(user_id=row.id, username=row.username, password_hash=row.password_hash)

    async def names_of(self, user_ids: list[int]) -> dict[int, str]:
        names: dict[int, str] = {}
        async with self._read("look up user names") as conn:
            for start in range(0, len(user_ids), 500):  # bound the IN (...) list
                chunk = user_ids[start : start + 500]
                query = select(users.c.id, users.c.username).where(users.c.id.in_(chunk))
                names.update({row.id: row.username for row in await conn.execute(query)})
        return names

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        async with self._write("update a password hash") as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=password_hash)
            )

    async def create_session(
        self, user_id: int, token_hash: str, created_at: float, expires_at: float
    ) -> None:
        async with self._write("create a session") as conn:
            await conn.execute(
                insert(sessions).values(
                    token_hash=token_hash,
                    user_id=user_id,
                    created_at=created_at,
                    expires_at=expires_at,
                )
            )

    async def find_session(self, token_hash: str) -> SessionRecord | None:
        query = (
            select(
                sessions.c.user_id, users.c.username, sessions.c.expires_at, sessions.c.revoked_at
            )
            .join_from(sessions, users)
            .where(sessions.c.token_hash == token_hash)
        )
        async with self._read("find a session") as conn:
            row = (await conn.execute(query)).one_or_none()
        if row is None:
            return None
        return SessionRecord(
            user_id=row.user_id,
            username=row.username,
            expires_at=row.expires_at,
            revoked=row.revoked_at is not None,
        )

    async def revoke_session(self, token_hash: str, now: float) -> None:
        # Keeps the first revocation time if revoked twice.
        async with self._write("revoke a session") as conn:
            await conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == token_hash, sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    async def save_room(self, room: DurableRoom, epoch: int = 0) -> None:
        async with self._write(f"save room {room.room_id!r}") as conn:
            saved = await conn.execute(self._upsert_room(room, epoch))
            if saved.rowcount == 0:  # the row's epoch is newer: rolled back, nothing written
                raise StaleSave(
                    f"room {room.room_id!r} was saved by a newer origin than epoch {epoch}"
                )
            for child in (room_members, room_bans, room_invites):
                await conn.execute(delete(child).where(child.c.room_id == room.room_id))
            if room.members:
                await conn.execute(insert(room_members), rows.member_rows(room))
            if room.bans:
                await conn.execute(insert(room_bans), rows.ban_rows(room))
            if room.invites:
                await conn.execute(insert(room_invites), rows.invite_rows(room))

    async def load_live_rooms(self) -> list[DurableRoom]:
        live = select(rooms.c.room_id).where(rooms.c.status == "live")
        async with self._read("load live rooms", snapshot=True) as conn:
            room_rows = (
                await conn.execute(
                    select(rooms)
                    .where(rooms.c.status == "live")
                    .order_by(rooms.c.created_at, rooms.c.room_id)
                )
            ).all()
            member_rows = (
                await conn.execute(
                    select(room_members)
                    .where(room_members.c.room_id.in_(live))
                    .order_by(room_members.c.room_id, room_members.c.position)
                )
            ).all()
            ban_rows = (
                await conn.execute(select(room_bans).where(room_bans.c.room_id.in_(live)))
            ).all()
            invite_rows = (
                await conn.execute(select(room_invites).where(room_invites.c.room_id.in_(live)))
            ).all()
        return rows.assemble_rooms(room_rows, member_rows, ban_rows, invite_rows)

    async def create_recording(
        self,
        owner_id: int,
        host_id: int,
        room_id: str,
        room_title: str,
        started_at: float,
        file_name: Callable[[int], str],
    ) -> RecordingRecord:
        async with self._write("create a recording") as conn:
            return await recording_queries.create(
                conn, owner_id, host_id, room_id, room_title, started_at, file_name
            )

    async def finish_recording(
        self, recording_id: int, ended_at: float, duration: float, size: int
    ) -> None:
        async with self._write("finish a recording") as conn:
            await recording_queries.finish(conn, recording_id, ended_at, duration, size)

    async def delete_recording(self, recording_id: int) -> None:
        async with self._write("delete a recording") as conn:
            await recording_queries.remove(conn, recording_id)

    async def find_recording(self, recording_id: int) -> RecordingRecord | None:
        async with self._read("find a recording") as conn:
            return await recording_queries.find(conn, recording_id)

    async def list_recordings(self, user_id: int) -> list[RecordingRecord]:
        async with self._read("list recordings") as conn:
            return await recording_queries.of_user(conn, user_id)

    async def unfinished_recordings(self) -> list[RecordingRecord]:
        async with self._read("list unfinished recordings") as conn:
            return await recording_queries.unfinished(conn)

    # -- scheduled rooms (ScheduleStore) -------------------------------------------

    async def insert_scheduled(self, state: ScheduledRoomState) -> None:
        async with self._write("schedule a room") as conn:
            await schedule_queries.insert_plan(conn, state)

    async def update_scheduled(
        self, state: ScheduledRoomState, notice: str | None, now: float
    ) -> bool:
        async with self._write("update a scheduled room") as conn:
            return await schedule_queries.update_plan(conn, state, notice, now)

    async def find_scheduled(self, schedule_id: str) -> ScheduledRoomState | None:
        async with self._read("find a scheduled room", snapshot=True) as conn:
            return await schedule_queries.find(conn, schedule_id)

    async def upcoming_scheduled(self) -> list[ScheduledRoomState]:
        async with self._read("list scheduled rooms", snapshot=True) as conn:
            return await schedule_queries.upcoming(conn)

    async def set_reminder(self, schedule_id: str, user_id: int, on: bool, now: float) -> None:
        async with self._write("set a reminder") as conn:
            await schedule_queries.set_reminder(conn, self._sqlite, schedule_id, user_id, on, now)

    async def reminder_counts(
        self, schedule_ids: list[str], user_id: int
    ) -> tuple[dict[str, int], set[str]]:
        async with self._read("count reminders", snapshot=True) as conn:
            return await schedule_queries.reminder_counts(conn, schedule_ids, user_id)

    async def pending_notice_users(self, since: float) -> set[int]:
        async with self._read("look for notices") as conn:
            return await schedule_queries.pending_users(conn, since)

    async def claim_notices(
        self, user_ids: list[int], since: float, now: float
    ) -> list[NoticeRecord]:
        async with self._write("claim notices") as conn:
            return await schedule_queries.claim(conn, user_ids, since, now)

    async def check(self) -> None:
        """A write that changes nothing: StoreError when storage cannot take writes now."""
        async with self._write("check the database") as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = version_num"))

    async def close(self) -> None:
        await self._engine.dispose()

    def _upsert_room(self, room: DurableRoom, epoch: int) -> Insert:
        values = {**rows.room_row(room), "epoch": epoch}
        stmt = (sqlite_insert if self._sqlite else pg_insert)(rooms).values(values)
        return stmt.on_conflict_do_update(
            index_elements=[rooms.c.room_id],
            set_={name: stmt.excluded[name] for name in values if name != "room_id"},
            where=rooms.c.epoch <= epoch,
        )

    @asynccontextmanager
    async def _write(self, action: str) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed if the block returns, rolled back if it raises."""
        self._require_same_file(action)
        async with _failures(action), self._write_lock, self._writer.begin() as conn:
            yield conn

    def _require_same_file(self, action: str) -> None:
        if self._path is None or self._identity is None:
            return
        if _identity(self._path) != self._identity:
            raise StoreError(
                f"could not {action}: the database file {self._path} was deleted or replaced "
                "while the server runs; nothing more is saved until the server restarts"
            )

    @asynccontextmanager
    async def _read(self, action: str, *, snapshot: bool = False) -> AsyncIterator[AsyncConnection]:
        """One read transaction; with `snapshot`, all its queries see the same state."""
        engine = self._snapshot_reader if snapshot else self._engine
        async with _failures(action), self._read_lock, engine.begin() as conn:
            yield conn


@asynccontextmanager
async def _failures(action: str) -> AsyncIterator[None]:
    """Turn any database or driver failure into StoreError, naming what failed and why."""
    try:
        yield
    except StoreError:
        raise
    except _DRIVER_ERRORS as exc:
        raise StoreError(f"could not {action}: {_reason(exc)}") from exc


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _reason(exc: BaseException) -> str:
    # DBAPIError's own str() appends the SQL and parameters; the driver's
    # message ("database or disk is full") is the part a person can act on.
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(cause, TimeoutError) and not str(cause):
        return "the database did not answer in time"
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__
