"""Opening a store: URLs, migrations to head, reopening, and failures as StoreError."""

import asyncio
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.server.store import default_db_url
from app.server.store.api import StoreError
from app.server.store.engine import SQLITE_BUSY_TIMEOUT_MS
from app.server.store.migrate import alembic_config
from app.server.store.schema import metadata
from app.server.store.sql import open_store
from app.server.store.urls import parse_db_url
from tests.server.store.factories import room
from tests.support.engine_process import HOST
from tests.support.postgres import PostgresServer


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_open_migrates_to_head_and_twice_is_harmless(db_url: str) -> None:
    first = await open_store(db_url)
    user_id = await first.create_user("Sari", "h", now=1.0)
    await first.close()

    second = await open_store(db_url)
    try:
        async with second.engine.connect() as conn:
            assert await conn.run_sync(_current_revision) == _head()
        found = await second.find_user("sari")
        assert found is not None and found.user_id == user_id
    finally:
        await second.close()


async def test_reopened_store_sees_committed_data(db_url: str) -> None:
    saved = room("r1", bans=frozenset({4}), invites=frozenset({"i"}))
    first = await open_store(db_url)
    user_id = await first.create_user("Sari", "h", now=1.0)
    await first.create_session(user_id, "ab" * 32, created_at=1.0, expires_at=2.0)
    await first.save_room(saved)
    await first.close()

    second = await open_store(db_url)
    try:
        assert await second.load_live_rooms() == [saved]
        session = await second.find_session("ab" * 32)
        assert session is not None and session.user_id == user_id
    finally:
        await second.close()


async def test_migrated_schema_matches_the_tables_the_queries_use(db_url: str) -> None:
    # schema.py and the migrations describe the same tables twice; catch drift.
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    store = await open_store(db_url)
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await store.close()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        async with store.engine.connect() as conn:
            pragmas = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
        assert pragmas == ["wal", 1, SQLITE_BUSY_TIMEOUT_MS]
    finally:
        await store.close()


async def test_in_memory_sqlite_works_and_shares_one_database() -> None:
    store = await open_store("sqlite:///:memory:")
    try:
        await store.create_user("Sari", "h", now=1.0)
        await store.save_room(room())
        assert await store.find_user("SARI") is not None
        assert await store.load_live_rooms() == [room()]
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///rel/p.db", "sqlite+aiosqlite"),
        ("sqlite:////abs/p.db", "sqlite+aiosqlite"),
        ("postgresql://u@127.0.0.1:5432/db", "postgresql+asyncpg"),
        ("postgres://u:secret@127.0.0.1/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@127.0.0.1/db", "postgresql+asyncpg"),
    ],
)
def test_urls_map_onto_the_async_drivers(url: str, driver: str) -> None:
    assert parse_db_url(url).url.drivername == driver


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u@127.0.0.1/db",
        "postgresql+psycopg2://u@127.0.0.1/db",
        "not a url",
        "postgresql://u@127.0.0.1:5432/",
    ],
)
async def test_unusable_urls_are_value_errors(url: str) -> None:
    with pytest.raises(ValueError, match="sqlite:///PATH"):
        await open_store(url)


def test_bad_url_message_hides_the_password() -> None:
    with pytest.raises(ValueError) as caught:
        parse_db_url("mysql://u:hunter2@127.0.0.1/db")

    assert "hunter2" not in str(caught.value)


def test_default_url_is_a_file_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    url = default_db_url()

    assert url == f"sqlite:///{tmp_path / 'data' / 'panggung' / 'panggung.db'}"
    assert (tmp_path / "data" / "panggung").is_dir()


async def test_sqlite_file_in_a_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no directory"):
        await open_store(f"sqlite:///{tmp_path / 'missing-dir' / 'p.db'}")


async def test_unopenable_sqlite_file_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unable to open database file"):
        await open_store(f"sqlite:///{tmp_path}")  # a directory, not a file
    await _join_aiosqlite_workers()


async def _join_aiosqlite_workers() -> None:
    # After a failed connect aiosqlite stops its worker thread without waiting
    # for it; if this test's loop closes first, the thread fails handing back
    # its result (omnilib/aiosqlite#389). Wait for the worker instead.
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5.0)


@pytest.mark.postgres
async def test_unreachable_postgres_is_a_store_error(postgres_server: PostgresServer) -> None:
    with pytest.raises(StoreError, match="open the database"):
        await open_store(f"postgresql://postgres@{HOST}:1/nothing_listens_here")


@pytest.mark.postgres
async def test_missing_postgres_database_is_a_store_error(postgres_server: PostgresServer) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        await open_store(postgres_server.url("no_such_database"))
