"""The store says when it cannot take writes: a probe write, a SQLite file
deleted or replaced under it, and a PostgreSQL that does not answer in time."""

import asyncio
import contextlib
import os
import shutil
import time
from pathlib import Path

import pytest

from app.server.store.api import StoreError
from app.server.store.sql import open_store
from tests.server.store.factories import room
from tests.support.postgres import PostgresServer


async def test_check_passes_on_a_working_store(db_url: str) -> None:
    store = await open_store(db_url)
    try:
        await store.check()
    finally:
        await store.close()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_sqlite_file_deleted_or_replaced_refuses_every_write(
    tmp_path: Path, how: str
) -> None:
    path = tmp_path / "panggung.db"
    store = await open_store(f"sqlite:///{path}")
    try:
        await store.save_room(room("r1"))
        copy = tmp_path / "copy.db"
        shutil.copy(path, copy)
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{path}{suffix}")
        if how == "replaced":
            os.rename(copy, path)
        # SQLite itself would write on happily, into a file no one will open again.
        with pytest.raises(StoreError, match="deleted or replaced"):
            await store.save_room(room("r2"))
        with pytest.raises(StoreError, match="deleted or replaced"):
            await store.check()
        with pytest.raises(StoreError, match="deleted or replaced"):
            await store.create_user("late", "h", 1.0)
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_hung_postgres_fails_within_the_timeout(freezable_postgres: PostgresServer) -> None:
    server = freezable_postgres
    store = await open_store(server.url(server.create_database()), timeout=1.0)
    try:
        await store.save_room(room("r1"))
        server.freeze()
        try:
            for work in (store.save_room(room("r2")), store.find_user("x"), store.check()):
                start = time.monotonic()
                with pytest.raises(StoreError, match=r"did not answer in time|timed out"):
                    await work
                assert time.monotonic() - start < 4.0
            # Many at once: none waits for ever on a pooled connection either.
            start = time.monotonic()
            results = await asyncio.gather(
                *(store.find_user(f"u{n}") for n in range(20)), return_exceptions=True
            )
            assert all(isinstance(r, StoreError) for r in results)
            assert time.monotonic() - start < 8.0
        finally:
            server.thaw()
        assert [r.room_id for r in await store.load_live_rooms()] == ["r1"]
    finally:
        await store.close()
