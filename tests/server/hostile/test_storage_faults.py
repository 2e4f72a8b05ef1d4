"""Storage that fails, fills up, turns read-only, vanishes, stops or hangs.

The contract (docs/protocol.md, "Durability"): rooms answer from memory at
once whatever storage does; their changes are saved behind the reply; while
that fails the room's moderators are told (`storage_status`) and /healthz
says `degraded`; once storage is back everything acknowledged is saved. And
one room's failing save never stops the clock of the others.
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event

from app.server.app import RunningServer
from app.server.rooms.durable import DurableRoom
from app.server.store.sql import SqlStore
from tests.support.disks import fill, free
from tests.support.postgres import PostgresServer

from .conftest import Peer, Peers, StartServer


async def health(server: RunningServer) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.http_url}/healthz") as reply,
    ):
        data: dict[str, Any] = await reply.json()
        return reply.status, data


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("never happened")
        await asyncio.sleep(0.05)


async def degraded(server: RunningServer) -> bool:
    status, data = await health(server)
    return status == 503 and data["status"] == "degraded"


async def healthy(server: RunningServer) -> bool:
    status, data = await health(server)
    return status == 200 and data["status"] == "ok"


def storage_status(room_id: str, saved: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda m: (
        m["type"] == "storage_status" and m["room_id"] == room_id and m["saved"] is saved
    )


async def timed(peer: Peer, kind: str, **fields: Any) -> tuple[float, Any]:
    start = time.monotonic()
    reply = await peer.call(kind, **fields)
    return time.monotonic() - start, reply


async def room_of(peer: Peer, title: str) -> str:
    data = await peer.ok("create_room", title=title)
    room_id: str = data["room"]["room_id"]
    return room_id


async def test_a_failing_save_is_isolated_and_every_clock_keeps_running(
    start: StartServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start(sqlite_url)
    async with AsyncExitStack() as stack:
        peers = Peers(server.url, stack)
        host_a, host_b = await peers.user("hosta"), await peers.user("hostb")
        room_a, room_b = await room_of(host_a, "Poisoned"), await room_of(host_b, "Healthy")
        guest_a, guest_b = await peers.user("guesta"), await peers.user("guestb")
        await guest_a.ok("join_room", room_id=room_a)
        await guest_b.ok("join_room", room_id=room_b)
        # On the stage, so that the hosts are told when they go (listeners go quietly).
        for host, guest in ((host_a, guest_a), (host_b, guest_b)):
            await host.ok("invite_to_stage", user_id=guest.user_id)
            await guest.ok("accept_invite")

        real_save = server.store.save_room

        async def poisoned(room: DurableRoom) -> None:
            if room.room_id == room_a:  # what SQLite raised for a ban of 2**63
                raise OverflowError("Python int too large to convert to SQLite INTEGER")
            await real_save(room)

        monkeypatch.setattr(server.store, "save_room", poisoned)
        # The room still answers, and from memory.
        reply = await host_a.call("set_topic", topic="kept in memory")
        assert reply["type"] == "ok", reply
        await host_a.wait_pushed(storage_status(room_a, saved=False))
        await eventually(lambda: degraded(server))
        assert (await health(server))[1]["storage"]["unsaved_rooms"] == 1
        # The clock runs for every room, the poisoned one too: both guests
        # drop and time out after the 1 s grace period.
        await guest_a.ws.close()
        await guest_b.ws.close()
        await host_b.wait_pushed(lambda m: m.get("event", {}).get("kind") == "member_left")
        await host_a.wait_pushed(lambda m: m.get("event", {}).get("kind") == "member_left")
        assert (await host_b.call("set_topic", topic="fine"))["type"] == "ok"

        monkeypatch.setattr(server.store, "save_room", real_save)
        await host_a.wait_pushed(storage_status(room_a, saved=True))
        await eventually(lambda: healthy(server))
    await server.stop()

    # Everything acknowledged was saved once storage took it again.
    again = await start(sqlite_url)
    loaded = {r.room_id: r for r in await again.store.load_live_rooms()}
    assert loaded[room_a].topic == "kept in memory"
    assert loaded[room_b].topic == "fine"


async def test_a_full_disk_keeps_rooms_going_and_loses_nothing_once_freed(
    start: StartServer, tmpfs: Callable[[str], Path]
) -> None:
    disk = tmpfs("4m")
    url = f"sqlite:///{disk / 'panggung.db'}"
    server = await start(url)
    async with AsyncExitStack() as stack:
        peers = Peers(server.url, stack)
        host = await peers.user("filler")
        room = await room_of(host, "Full")
        fill(disk)
        for n in range(20):  # each save appends to the write-ahead log: it must grow
            assert (await host.call("set_topic", topic=f"topic {n} " + "x" * 200))["type"] == "ok"
        told = await host.wait_pushed(storage_status(room, saved=False))
        assert "full" in told["detail"]
        await eventually(lambda: degraded(server))
        # What needs storage to answer says so at once, and changes nothing.
        newcomer = await peers.greeted()
        refused = await newcomer.call("register", username="latecomer", password="p" * 12)
        assert refused["code"] == "unavailable", refused
        free(disk)
        await host.wait_pushed(storage_status(room, saved=True))
        await eventually(lambda: healthy(server))
        assert (await newcomer.call("register", username="latecomer", password="p" * 12))[
            "type"
        ] == "ok"
    await server.stop()
    again = await start(url)
    [loaded] = await again.store.load_live_rooms()
    assert loaded.topic.startswith("topic 19 ")


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    # As root, file permissions do not stop writes; query_only gives the very
    # error a read-only database file does (SQLITE_READONLY).
    dbapi_connection.execute("PRAGMA query_only = ON")


async def test_a_read_only_database_is_reported_and_recovers(
    server: RunningServer, peers: Peers
) -> None:
    host = await peers.user("reader")
    room = await room_of(host, "Read only")
    store = server.store
    assert isinstance(store, SqlStore)
    engine = store.engine.sync_engine
    event.listen(engine, "connect", _read_only)
    await store.engine.dispose()
    try:
        assert (await host.call("set_topic", topic="while read-only"))["type"] == "ok"
        told = await host.wait_pushed(storage_status(room, saved=False))
        assert "readonly" in told["detail"]
        _, data = await health(server)
        assert "readonly" in data["storage"]["problem"]
        assert (await host.call("logout"))["code"] == "unavailable"  # nothing changed
        assert (await host.call("sync"))["type"] == "ok"  # still in the room, signed in
    finally:
        event.remove(engine, "connect", _read_only)
        await store.engine.dispose()
    await host.wait_pushed(storage_status(room, saved=True))
    await eventually(lambda: healthy(server))


async def test_a_deleted_database_file_is_noticed(
    server: RunningServer, peers: Peers, tmp_path: Path
) -> None:
    host = await peers.user("deleter")
    room = await room_of(host, "Soon gone")
    await eventually(lambda: healthy(server))
    await server.hub.flush()  # no save of the new room still on its way
    for suffix in ("", "-wal", "-shm"):
        os.unlink(f"{tmp_path / 'panggung.db'}{suffix}")
    # Noticed by the storage check, with no change in any room...
    await eventually(lambda: degraded(server), timeout=10)
    _, data = await health(server)
    assert "deleted" in data["storage"]["problem"]
    # ...and by every write: SQLite would go on writing into the deleted file.
    assert (await host.call("set_topic", topic="nowhere to go"))["type"] == "ok"
    told = await host.wait_pushed(storage_status(room, saved=False))
    assert "deleted" in told["detail"]
    newcomer = await peers.greeted()
    reply = await newcomer.call("register", username="ghost", password="p" * 12)
    assert reply["code"] == "unavailable"


@pytest.fixture
def own_postgres(freezable_postgres: PostgresServer) -> PostgresServer:
    """A PostgreSQL of our own: these tests stop and freeze it."""
    return freezable_postgres


async def _postgres_scene(
    start: StartServer, own_postgres: PostgresServer, stack: AsyncExitStack
) -> tuple[RunningServer, Peers, Peer, Peer, str, str, str]:
    url = own_postgres.url(own_postgres.create_database())
    server = await start(url, db_timeout=2.0)
    peers = Peers(server.url, stack)
    host, other = await peers.user("pghost"), await peers.user("pgother")
    room, other_room = await room_of(host, "On PostgreSQL"), await room_of(other, "Next door")
    return server, peers, host, other, room, other_room, url


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["hung", "stopped"])
async def test_postgres_hung_or_stopped_never_stalls_a_room(
    start: StartServer, own_postgres: PostgresServer, fault: str
) -> None:
    async with AsyncExitStack() as stack:
        server, peers, host, other, room, other_room, url = await _postgres_scene(
            start, own_postgres, stack
        )
        guest = await peers.user("pgguest")
        returning = await peers.user("pgreturning")
        token = returning.token
        await returning.ws.close()
        if fault == "hung":
            own_postgres.freeze()
        else:
            own_postgres.halt()
        try:
            # Room work answers from memory at once: well inside the 2 s timeout.
            took, reply = await timed(host, "set_topic", topic="said while down")
            assert reply["type"] == "ok" and took < 1.0, (took, reply)
            took, reply = await timed(guest, "join_room", room_id=room)
            assert reply["type"] == "ok" and took < 1.0, (took, reply)
            took, reply = await timed(guest, "raise_hand")
            assert reply["type"] == "ok" and took < 1.0, (took, reply)
            took, reply = await timed(other, "set_topic", topic="next door too")
            assert reply["type"] == "ok" and took < 1.0, (took, reply)
            # What needs the database gets a prompt, clear refusal.
            comeback = await peers.greeted()
            took, reply = await timed(comeback, "resume", token=token)
            assert reply["code"] == "unavailable" and took < 5.0, (took, reply)
            await host.wait_pushed(storage_status(room, saved=False))
            await other.wait_pushed(storage_status(other_room, saved=False))
            assert not [m for m in guest.pushed if m["type"] == "storage_status"]  # not a moderator
            await eventually(lambda: degraded(server))
        finally:
            if fault == "hung":
                own_postgres.thaw()
            else:
                own_postgres.resume_on_same_port()
        await host.wait_pushed(storage_status(room, saved=True), timeout=20)
        await eventually(lambda: healthy(server), timeout=20)
        assert (await comeback.call("resume", token=token))["type"] == "ok"
    await server.stop()
    again = await start(url)
    loaded = {r.room_id: r for r in await again.store.load_live_rooms()}
    assert loaded[room].topic == "said while down"
    assert loaded[other_room].topic == "next door too"


async def test_a_shutdown_with_a_poisoned_room_saves_the_others_and_returns(
    start: StartServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start(sqlite_url)
    async with AsyncExitStack() as stack:
        peers = Peers(server.url, stack)
        host_a, host_b = await peers.user("stuck"), await peers.user("fine")
        room_a, room_b = await room_of(host_a, "Stuck"), await room_of(host_b, "Fine")
        real_save = server.store.save_room

        async def poisoned(room: DurableRoom) -> None:
            if room.room_id == room_a:
                raise OverflowError("Python int too large to convert to SQLite INTEGER")
            await real_save(room)

        monkeypatch.setattr(server.store, "save_room", poisoned)
        await host_a.ok("set_topic", topic="never stored")
        await host_b.ok("set_topic", topic="stored at the end")
    await server.stop()  # returns (SIGTERM used to exit 1 here)
    again = await start(sqlite_url)
    loaded = {r.room_id: r for r in await again.store.load_live_rooms()}
    assert loaded[room_b].topic == "stored at the end"
    assert loaded[room_a].topic == ""
