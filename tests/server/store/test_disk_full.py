"""A full disk fails the write with StoreError and leaves committed data as it was.

SQLite reports SQLITE_FULL when a write would grow the file past
max_page_count; capping that at the current size is a disk with no room left.
"""

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from app.protocol.model import Role
from app.server.store.api import StoreError
from app.server.store.sql import SqlStore, open_store
from tests.server.store.factories import member, room


def _no_room_to_grow(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA page_count")
    (pages,) = cursor.fetchone()
    cursor.execute(f"PRAGMA max_page_count = {pages}")
    cursor.close()


async def _fill_the_disk(store: SqlStore) -> None:
    """From now on every new connection of `store` has no room to grow."""
    event.listen(store.engine.sync_engine, "connect", _no_room_to_grow)
    await store.engine.dispose()  # pooled connections predate the cap


async def _free_the_disk(store: SqlStore) -> None:
    event.remove(store.engine.sync_engine, "connect", _no_room_to_grow)
    await store.engine.dispose()


async def test_full_disk_is_a_store_error_and_committed_data_survives(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'panggung.db'}"
    store = await open_store(url)
    committed = room("r1", members=(member(1, Role.HOST), member(2)), invites=frozenset({"a"}))
    await store.save_room(committed)
    user_id = await store.create_user("Sari", "h", now=1.0)
    # Needs new pages: 50 members with long names.
    too_big = room(
        "r1",
        members=tuple(
            replace(member(i, Role.HOST if i == 1 else Role.SPEAKER), name="n" * 2_000)
            for i in range(1, 51)
        ),
    )

    try:
        await _fill_the_disk(store)
        with pytest.raises(StoreError, match="database or disk is full"):
            await store.save_room(too_big)
        with pytest.raises(StoreError, match="database or disk is full"):
            await store.save_room(replace(too_big, room_id="r2"))
        # Reads still work on a full disk.
        assert await store.load_live_rooms() == [committed]

        await _free_the_disk(store)
        assert await store.load_live_rooms() == [committed]
        await store.save_room(too_big)  # the store recovers once there is room
    finally:
        await store.close()

    reopened = await open_store(url)
    try:
        assert await reopened.load_live_rooms() == [too_big]
        found = await reopened.find_user("sari")
        assert found is not None and found.user_id == user_id
    finally:
        await reopened.close()
