"""Raised hands are stored (revision 0003): a listener with a hand up and its
time round-trip, and a database from before the revision keeps its rooms."""

from dataclasses import replace

from alembic import command
from sqlalchemy import text

from app.protocol.model import Role
from app.server.store.engine import create_engine
from app.server.store.migrate import alembic_config
from app.server.store.sql import SqlStore, open_store
from app.server.store.urls import parse_db_url
from tests.server.store.factories import member, room


async def test_a_raised_hand_round_trips(store: SqlStore) -> None:
    hand = replace(member(7, Role.LISTENER), hand_raised_at=1_700_000_123.75)
    saved = room("r1", members=(member(1, Role.HOST), member(2), hand))
    await store.save_room(saved)
    [loaded] = await store.load_live_rooms()
    assert loaded == saved
    assert loaded.members[2].hand_raised_at == 1_700_000_123.75


async def test_a_database_from_before_keeps_its_stage(db_url: str) -> None:
    engine = create_engine(parse_db_url(db_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0002"))
            await conn.execute(
                text(
                    "INSERT INTO rooms (room_id, title, topic, invite_only, stage_capacity, "
                    "locked, hands_enabled, pinned_link, status, host_id, created_at, ended_at) "
                    "VALUES ('old', 'Old room', '', false, 5, false, true, NULL, 'live', 1, "
                    "1.5, NULL)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO room_members (room_id, user_id, position, name, role, "
                    "joined_at, role_since, mod_muted) "
                    "VALUES ('old', 1, 0, 'elder', 'host', 1.5, 1.5, false)"
                )
            )
    finally:
        await engine.dispose()
    store = await open_store(db_url)  # migrates to head
    try:
        [loaded] = await store.load_live_rooms()
        assert [(m.user_id, m.role, m.hand_raised_at) for m in loaded.members] == [
            (1, Role.HOST, None)
        ]
        hand = replace(member(2, Role.LISTENER), hand_raised_at=2.0)
        await store.save_room(replace(loaded, members=(*loaded.members, hand)))
        [again] = await store.load_live_rooms()
        assert again.members[-1] == hand
    finally:
        await store.close()
