"""Rooms: saved whole in one transaction, loaded back as they were while live."""

import asyncio
from dataclasses import replace

import pytest

from app.protocol.model import Role
from app.server.store.api import StaleSave, StoreError
from app.server.store.sql import SqlStore
from tests.server.store.factories import member, room


async def test_room_round_trips_with_members_bans_and_invites(store: SqlStore) -> None:
    saved = replace(
        room(
            members=(
                member(7, Role.HOST, at=1_700_000_000.000001),
                member(3, Role.COHOST),
                replace(member(5, Role.SPEAKER), mod_muted=True, name="Bü 🎙"),
            ),
            bans=frozenset({11, 12}),
            invites=frozenset({"inv-a", "inv-b"}),
        ),
        invite_only=True,
        locked=True,
        hands_enabled=False,
        pinned_link="https://example.org/agenda",
        stage_capacity=13,
    )

    await store.save_room(saved)

    # Members come back in the order saved, floats to the last bit.
    assert await store.load_live_rooms() == [saved]


async def test_room_without_members_bans_or_invites_round_trips(store: SqlStore) -> None:
    saved = room(members=())

    await store.save_room(saved)

    assert await store.load_live_rooms() == [saved]


async def test_saving_again_replaces_everything(store: SqlStore) -> None:
    await store.save_room(
        room(
            members=(member(1, Role.HOST), member(2), member(3)),
            bans=frozenset({8}),
            invites=frozenset({"old"}),
        )
    )
    newer = replace(
        room(
            members=(member(1, Role.HOST), member(4, Role.COHOST)),
            bans=frozenset({9}),
            invites=frozenset({"new"}),
        ),
        title="Renamed",
        topic="Another topic",
    )

    await store.save_room(newer)

    assert await store.load_live_rooms() == [newer]


async def test_ended_rooms_are_not_loaded(store: SqlStore) -> None:
    await store.save_room(room("gone"))
    await store.save_room(replace(room("gone"), status="ended", ended_at=1_700_000_500.0))
    await store.save_room(room("still-live"))

    assert [r.room_id for r in await store.load_live_rooms()] == ["still-live"]


async def test_rooms_keep_their_own_children(store: SqlStore) -> None:
    a = room("a", members=(member(1, Role.HOST),), bans=frozenset({5}), invites=frozenset({"ia"}))
    b = room("b", members=(member(2, Role.HOST),), bans=frozenset({6}), invites=frozenset({"ib"}))
    await store.save_room(a)
    await store.save_room(b)

    loaded = {r.room_id: r for r in await store.load_live_rooms()}

    assert loaded == {"a": a, "b": b}


async def test_failed_save_leaves_the_previous_state(store: SqlStore) -> None:
    # The second save deletes r1's members before it fails on an invite code
    # that r2 holds; the whole save must roll back, not just the last step.
    before = room("r1", members=(member(1, Role.HOST), member(2)), invites=frozenset({"mine"}))
    await store.save_room(before)
    await store.save_room(room("r2", invites=frozenset({"taken"})))

    with pytest.raises(StoreError, match="save room 'r1'"):
        await store.save_room(
            replace(
                before, title="half", members=(member(1, Role.HOST),), invites=frozenset({"taken"})
            )
        )

    loaded = {r.room_id: r for r in await store.load_live_rooms()}
    assert loaded["r1"] == before


async def test_concurrent_saves_of_many_rooms_all_land(store: SqlStore) -> None:
    rooms = [room(f"r{i}", members=(member(i, Role.HOST), member(100 + i))) for i in range(12)]

    await asyncio.gather(*(store.save_room(r) for r in rooms))

    assert sorted(await store.load_live_rooms(), key=lambda r: r.room_id) == sorted(
        rooms, key=lambda r: r.room_id
    )


async def test_a_save_from_an_older_epoch_is_refused_and_writes_nothing(store: SqlStore) -> None:
    """Fencing (docs/cluster.md): once a newer cluster origin saved a room, the
    old one's saves are refused whole, and the room keeps the newer state."""
    first = room(members=(member(1, Role.HOST),), bans=frozenset({8}))
    await store.save_room(first, epoch=3)
    assert [r.epoch for r in await store.load_live_rooms()] == [3]
    newer = replace(room(members=(member(1, Role.HOST), member(2, Role.COHOST))), title="New")
    await store.save_room(newer, epoch=4)
    stale = replace(room(members=(member(9, Role.HOST),)), title="Stale", bans=frozenset())
    with pytest.raises(StaleSave):
        await store.save_room(stale, epoch=3)
    assert await store.load_live_rooms() == [replace(newer, epoch=4)]
    # The same epoch saves again (one origin's successive saves).
    await store.save_room(replace(newer, title="Again"), epoch=4)
    assert [r.title for r in await store.load_live_rooms()] == ["Again"]
