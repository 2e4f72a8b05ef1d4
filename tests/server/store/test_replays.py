"""Replay metadata: visibility, who was in the room, candidates per user, real deletion."""

from pathlib import Path

import pytest

from app.server.store.api import ReplayViewerRecord, StoreError
from app.server.store.sql import SqlStore, open_store
from tests.server.store.test_disk_full import _fill_the_disk, _free_the_disk


async def _finished(store: SqlStore, owner: int, host: int, room: str, at: float) -> int:
    record = await store.create_recording(owner, host, room, room, at, lambda i: f"{i}.ogg")
    await store.finish_recording(record.recording_id, at + 10, 10.0, 1000)
    return record.recording_id


async def test_replays_default_private_and_list_by_who_may_play(store: SqlStore) -> None:
    open_room = await _finished(store, owner=1, host=1, room="open", at=100.0)
    closed = await _finished(store, owner=2, host=2, room="closed", at=200.0)
    running = await store.create_recording(1, 1, "live", "live", 300.0, lambda i: f"{i}.ogg")
    found = await store.find_recording(open_room)
    assert found is not None and (found.visibility, found.invite_only) == ("private", False)

    await store.save_replay_viewers(closed, True, {2: True, 3: True, 4: False})
    assert await store.replay_viewer(closed, 4) == ReplayViewerRecord(True, False)
    assert await store.replay_viewer(closed, 3) == ReplayViewerRecord(True, True)
    assert await store.replay_viewer(closed, 9) == ReplayViewerRecord(False, False)

    # Private: nobody outside sees either; a still running one never shows.
    assert await store.replay_candidates(9) == []
    assert [r.recording_id for r, _ in await store.replay_candidates(1)] == [open_room]
    await store.set_replay_visibility(open_room, "public")
    await store.set_replay_visibility(closed, "public")
    # A public open room's replay is a candidate for anyone; an invite-only
    # room's only for those who were in it.
    assert [r.recording_id for r, _ in await store.replay_candidates(9)] == [open_room]
    listed = await store.replay_candidates(4)
    assert [(r.recording_id, v) for r, v in listed] == [
        (closed, ReplayViewerRecord(True, False)),
        (open_room, ReplayViewerRecord(False, False)),
    ]
    assert running.recording_id not in [r.recording_id for r, _ in listed]

    # Deleting takes the row and its viewers; the id is never given out again.
    await store.delete_recording(closed)
    assert await store.find_recording(closed) is None
    assert await store.replay_viewer(closed, 4) == ReplayViewerRecord(False, False)
    later = await _finished(store, owner=1, host=1, room="later", at=400.0)
    assert later > closed


async def test_a_full_disk_fails_the_viewers_whole_and_keeps_the_replay(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'panggung.db'}")
    try:
        replay = await _finished(store, owner=1, host=1, room="r", at=100.0)
        await store.save_replay_viewers(replay, True, {1: True, 2: False})
        await _fill_the_disk(store)
        # An audience of thousands needs new pages: refused as one.
        crowd = {user_id: False for user_id in range(3, 20_000)}
        with pytest.raises(StoreError, match="database or disk is full"):
            await store.save_replay_viewers(replay, False, crowd)
        found = await store.find_recording(replay)
        assert found is not None and found.invite_only  # not half-changed
        assert await store.replay_viewer(replay, 2) == ReplayViewerRecord(True, False)
        assert await store.replay_viewer(replay, 3) == ReplayViewerRecord(False, False)
        await _free_the_disk(store)
        await store.save_replay_viewers(replay, False, crowd)
        assert await store.replay_viewer(replay, 3) == ReplayViewerRecord(True, False)
    finally:
        await store.close()
