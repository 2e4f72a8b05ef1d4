"""Joins forwarded to another node's room keep the events that arrive while
they wait, each its own: two joins in flight must never lose each other's."""

from pathlib import Path

from app.server.hub import RoomHub
from app.server.store import open_store


async def test_a_finished_join_stops_only_its_own_collection(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        hub = RoomHub(store, lambda: 0.0, 30.0, "127.0.0.1:1")
        earlier: list[tuple[int, bytes]] = []
        later: list[tuple[int, bytes]] = []
        hub._joining["r"] = [earlier, later]  # two joins waiting on the origin
        # The later join is answered first, while both lists are still equal
        # (empty): removing by equality took the earlier one's list instead.
        hub._stop_collecting("r", later)
        hub.on_event("r", 7, b"frame")
        assert earlier == [(7, b"frame")]
        hub._stop_collecting("r", earlier)
        assert hub._joining["r"] == []
    finally:
        await store.close()
