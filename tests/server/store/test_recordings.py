"""Recording metadata: created with a file name from its id, finished, listed per user."""

from app.server.store.sql import SqlStore


async def _new(store: SqlStore, owner: int, host: int, room: str, at: float) -> int:
    record = await store.create_recording(
        owner, host, room, f"Room {room}", at, lambda i: f"{i}.ogg"
    )
    assert record.file_name == f"{record.recording_id}.ogg"
    return record.recording_id


async def test_recordings_round_trip_and_list_for_owner_and_host(store: SqlStore) -> None:
    first = await _new(store, owner=2, host=1, room="r1", at=1_700_000_000.5)
    second = await _new(store, owner=1, host=1, room="r2", at=1_700_000_100.25)
    other = await _new(store, owner=3, host=3, room="r3", at=1_700_000_200.0)
    assert [r.recording_id for r in await store.unfinished_recordings()] == [first, second, other]

    await store.finish_recording(first, 1_700_000_060.5, 60.0, 3_000_000_000)

    found = await store.find_recording(first)
    assert found is not None
    assert (found.owner_id, found.host_id, found.room_id, found.room_title) == (
        2,
        1,
        "r1",
        "Room r1",
    )
    assert (found.started_at, found.ended_at, found.duration) == (
        1_700_000_000.5,
        1_700_000_060.5,
        60.0,
    )
    assert found.bytes == 3_000_000_000  # past 32 bits: a BIGINT on PostgreSQL
    # The host sees both rooms' recordings (newest first), the co-host who
    # started one sees it, and a stranger sees only their own.
    assert [r.recording_id for r in await store.list_recordings(1)] == [second, first]
    assert [r.recording_id for r in await store.list_recordings(2)] == [first]
    assert [r.recording_id for r in await store.list_recordings(3)] == [other]
    assert await store.list_recordings(9) == []
    assert [r.recording_id for r in await store.unfinished_recordings()] == [second, other]


async def test_deleted_and_unknown_recordings_are_not_found(store: SqlStore) -> None:
    gone = await _new(store, owner=1, host=1, room="r1", at=1.0)
    await store.delete_recording(gone)
    assert await store.find_recording(gone) is None
    assert await store.find_recording(12345) is None
    # Ids are never reused, so an old link never names a newer recording.
    assert await _new(store, owner=1, host=1, room="r1", at=2.0) != gone
