"""Three panggung-server nodes on one Redis and one PostgreSQL, with real
clients spread over them: one room, moderated across nodes, and every member
sees the same events in the same order."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from app.client.connection import RequestFailed
from app.client.room_model import RoomModel
from app.client.session import RoomClient
from app.protocol.events import AnyRoomEvent
from app.protocol.model import Role
from app.protocol.replies import InviteCreated, RoomList
from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    Ban,
    CreateInvite,
    InviteToStage,
    JoinRoom,
    LeaveRoom,
    ListRooms,
    MakeCohost,
    Mute,
    RaiseHand,
    Remove,
    SetLocked,
    SetTopic,
    Unban,
    Unmute,
)
from app.server.app import RunningServer, ServerConfig, start_server
from app.server.forwarding import Forwarded, encode_request, unpack
from app.server.hub import RoomHub
from app.server.rooms import RoomError
from tests.server.cluster.conftest import FAST
from tests.support.closing import closed_within
from tests.support.redis import RedisServer

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.postgres

StartNode = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def start_node(
    postgres_url: str, redis_server: RedisServer, prefix: str
) -> AsyncIterator[StartNode]:
    running: list[RunningServer] = []

    async def start(name: str, **overrides: Any) -> RunningServer:
        settings: dict[str, Any] = {
            "db_url": postgres_url,
            "host": "127.0.0.1",
            "port": 0,
            "media": False,
            "grace_period": 30.0,
            "tick_interval": 0.1,
            "cluster_url": redis_server.url(),
            "node_name": name,
            "cluster_settings": {**FAST, "prefix": prefix},
        }
        settings.update(overrides)
        server = await start_server(ServerConfig(**settings))
        running.append(server)
        return server

    yield start
    for server in reversed(running):
        await closed_within(server.stop(), 30, f"node on port {server.port}")


class Member:
    """A signed-in client that keeps every numbered event it was given."""

    def __init__(self, client: RoomClient) -> None:
        self.client = client
        self.events: list[tuple[int, AnyRoomEvent]] = []
        client.event_hooks.append(self._seen)

    def _seen(self, event: AnyRoomEvent) -> None:
        assert self.client.model is not None
        self.events.append((self.client.model.seq, event))

    @property
    def user_id(self) -> int:
        return self.client.user_id

    async def until(self, check: Callable[[RoomModel], bool], timeout: float = 10) -> RoomModel:
        return await self.client.wait_until(check, timeout)


async def member(server: RunningServer, name: str, clients: list[RoomClient]) -> Member:
    client = RoomClient(server.url, client_name="test", reconnect=False)
    clients.append(client)
    await client.connect()
    await client.register(name, PASSWORD)
    return Member(client)


async def refused(who: Member, request: Any) -> str:
    with pytest.raises(RequestFailed) as failure:
        await who.client.request(request)
    return failure.value.code


async def healthz(server: RunningServer) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.http_url}/healthz") as response,
    ):
        body: dict[str, Any] = await response.json()
    return body


async def test_one_room_moderated_across_three_nodes(start_node: StartNode) -> None:
    a, b, c = [await start_node(name) for name in ("a", "b", "c")]
    clients: list[RoomClient] = []
    try:
        ayu = await member(a, "ayu", clients)  # the host, on the origin
        budi = await member(b, "budi", clients)
        citra = await member(c, "citra", clients)
        dewi = await member(b, "dewi", clients)
        eko = await member(c, "eko", clients)
        fajar = await member(a, "fajar", clients)
        room = await ayu.client.create_room("Town hall", topic="Roads")
        rid = room.room_id
        assert a.hub.room_count == 1 and b.hub.room_count == c.hub.room_count == 0

        # Every node lists the room (its directory is the cluster's).
        async def listed_on(server: RunningServer) -> list[str]:
            probe = await member(server, f"probe{server.port}", clients)
            for _ in range(100):
                rooms = await probe.client.conn.call_for(ListRooms(), RoomList)
                if rooms.rooms:
                    return [r.room_id for r in rooms.rooms]
                await asyncio.sleep(0.1)
            return []

        assert await listed_on(b) == [rid] and await listed_on(c) == [rid]

        for guest in (budi, citra, dewi, eko, fajar):
            joined = await guest.client.join(rid)
            assert joined.role_of(guest.user_id) == Role.LISTENER
        await ayu.until(lambda m: m.audience.listeners == 5)
        # Listeners on the other nodes get the room's counts too (notices).
        await eko.until(lambda m: m.audience.listeners == 5)
        everyone = [ayu, budi, citra, dewi, eko, fajar]
        start = {m.user_id: len(m.events) for m in everyone}

        # Raise (on b), approve (host on a): budi speaks.
        await budi.client.request(RaiseHand())
        await ayu.until(lambda m: [h.user_id for h in m.hand_queue()] == [budi.user_id])
        await ayu.client.request(ApproveHand(user_id=budi.user_id))
        await citra.until(lambda m: m.role_of(budi.user_id) == Role.SPEAKER)
        # Invite (citra on c), accepted on c.
        await ayu.client.request(InviteToStage(user_id=citra.user_id))
        await citra.until(lambda m: m.members[citra.user_id].invited)
        await citra.client.request(AcceptInvite())
        await budi.until(lambda m: m.role_of(citra.user_id) == Role.SPEAKER)
        # Mute (by the host) and a co-host (on c) who unmutes: rules are the origin's.
        await ayu.client.request(Mute(user_id=budi.user_id))
        await budi.until(lambda m: m.members[budi.user_id].mod_muted)
        assert await refused(citra, Unmute(user_id=budi.user_id)) == "forbidden"
        await ayu.client.request(MakeCohost(user_id=citra.user_id))
        await citra.until(lambda m: m.role_of(citra.user_id) == Role.COHOST)
        await citra.client.request(Unmute(user_id=budi.user_id))
        await ayu.until(lambda m: not m.members[budi.user_id].mod_muted)
        assert await refused(dewi, Mute(user_id=citra.user_id)) == "forbidden"
        # An invite link made through c, by the co-host.
        invite = await citra.client.conn.call_for(CreateInvite(), InviteCreated)
        assert rid in invite.link
        # Remove a listener on c (a quiet departure: only eko is told), by the co-host.
        await citra.client.request(Remove(user_id=eko.user_id))
        await eko.until(lambda m: eko.client.kicked == "removed")
        await eko.client.join(rid)
        # Ban a listener on b, by the host on a; the ban holds on every node.
        await ayu.client.request(Ban(user_id=dewi.user_id))
        await dewi.until(lambda m: dewi.client.kicked == "banned")
        assert await refused(dewi, JoinRoom(room_id=rid)) == "banned"
        await ayu.client.request(SetTopic(topic="Bridges"))
        await ayu.client.request(SetLocked(locked=True))
        await ayu.client.request(SetLocked(locked=False))
        # Hand-over: the host leaves; the co-host on c runs the room.
        await ayu.client.request(LeaveRoom())
        await budi.until(lambda m: m.snapshot.host_id == citra.user_id)

        stayed = [budi, citra, fajar]
        final = max(m.client.model.seq for m in stayed if m.client.model)
        for m in stayed:
            await m.until(lambda model: model.seq == final)
        reference = budi.events[start[budi.user_id] :]
        assert len(reference) >= 12
        for m in stayed:
            assert m.events[start[m.user_id] :] == reference, m.client.username
        # The host saw the same stream up to its own departure.
        ayu_saw = ayu.events[start[ayu.user_id] :]
        assert ayu_saw == reference[: len(ayu_saw)] and len(ayu_saw) >= 10
        for m in stayed:
            assert m.client.model is not None
            assert m.client.model.snapshot.host_id == citra.user_id
            assert m.client.model.role_of(budi.user_id) == Role.SPEAKER

        for server in (a, b, c):
            health = await healthz(server)
            assert health["cluster"]["ok"] is True and health["cluster"]["status"] == "ok"
            assert health["status"] == "ok"
    finally:
        for client in clients:
            await client.close()


async def test_a_moderator_on_another_node_lists_the_bans_and_unbans(
    start_node: StartNode,
) -> None:
    """list_bans from a node that is not the origin is forwarded there (the
    names come from the origin's store), the gate is the origin's, and an
    unban through that node lifts the ban everywhere."""
    a, b = [await start_node(name) for name in ("a", "b")]
    clients: list[RoomClient] = []
    try:
        ayu = await member(a, "ayu", clients)  # the host, on the origin
        citra = await member(b, "citra", clients)  # the co-host, on b
        dewi = await member(b, "dewi", clients)
        eko = await member(a, "eko", clients)
        fajar = await member(b, "fajar", clients)
        rid = (await ayu.client.create_room("Bans")).room_id
        assert b.hub.room_count == 0
        for guest in (citra, dewi, eko, fajar):
            await guest.client.join(rid)
        await ayu.client.request(InviteToStage(user_id=citra.user_id))
        await citra.until(lambda m: m.members[citra.user_id].invited)
        await citra.client.request(AcceptInvite())
        await ayu.client.request(MakeCohost(user_id=citra.user_id))
        await citra.until(lambda m: m.role_of(citra.user_id) == Role.COHOST)
        await ayu.client.request(Ban(user_id=eko.user_id))
        await citra.client.request(Ban(user_id=dewi.user_id))
        await dewi.until(lambda m: dewi.client.kicked == "banned")

        listed = await citra.client.list_bans()
        assert [(u.name, u.user_id) for u in listed.bans] == [
            ("dewi", dewi.user_id),
            ("eko", eko.user_id),
        ] and listed.total == 2
        # A listener on b is refused by the origin's gate, as on the origin itself.
        with pytest.raises(RequestFailed) as failure:
            await fajar.client.list_bans()
        assert failure.value.code == "forbidden"

        await citra.client.request(Unban(user_id=dewi.user_id))
        after = await citra.client.list_bans()
        assert [u.user_id for u in after.bans] == [eko.user_id] and after.total == 1
        assert [u.user_id for u in (await ayu.client.list_bans()).bans] == [eko.user_id]
        # Lifted everywhere: dewi is back in through b, eko still refused through b.
        assert (await dewi.client.join(rid)).role_of(dewi.user_id) == Role.LISTENER
        again = RoomClient(b.url, client_name="test", reconnect=False)
        clients.append(again)
        await again.connect()
        await again.login("eko", PASSWORD)
        with pytest.raises(RequestFailed) as failure:
            await again.request(JoinRoom(room_id=rid))
        assert failure.value.code == "banned"
    finally:
        for client in clients:
            await client.close()


async def test_a_room_whose_lease_is_gone_is_taken_over_by_the_lease_watch(
    start_node: StartNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node with members in a room held elsewhere takes it over as soon as
    the lease is gone, without the orphan scan (switched off here: alone, it
    looks only every lease_ttl x U(0.25, 0.75))."""

    async def no_scan(self: RoomHub, interval: float) -> None:
        return None

    monkeypatch.setattr(RoomHub, "run_takeover", no_scan)
    a, b = [await start_node(name) for name in ("a", "b")]
    clients: list[RoomClient] = []
    try:
        ayu = await member(a, "ayu", clients)
        budi = await member(b, "budi", clients)
        rid = (await ayu.client.create_room("Watched")).room_id
        await budi.client.join(rid)
        assert b.hub.room_count == 0
        await a.stop()  # gives its lease up: the key is gone, as when it runs out
        gone = asyncio.get_running_loop().time()
        while b.hub.room_count == 0:
            assert asyncio.get_running_loop().time() - gone < 5, "not taken over"
            await asyncio.sleep(0.02)
        await budi.client.request(RaiseHand())  # the room takes commands again, on b
        # Its client resynced (the takeover's gap) and follows the new origin.
        await budi.until(lambda m: m.members[budi.user_id].hand_raised_at is not None)
    finally:
        for client in clients:
            await client.close()


async def test_a_request_forwarded_to_a_node_without_the_room_is_refused_not_forwarded_on(
    start_node: StartNode,
) -> None:
    """Forwarded requests reach a node only while it holds the room's lease;
    one that holds it but not the room yet (mid-takeover, the room still
    "held elsewhere" here) must not forward the request on: that came
    straight back to itself until the recursion limit (seen in the
    benchmark). It answers `unavailable`, which the sender retries."""
    a, b = [await start_node(name) for name in ("a", "b")]
    clients: list[RoomClient] = []
    try:
        ayu = await member(a, "ayu", clients)
        budi = await member(b, "budi", clients)
        rid = (await ayu.client.create_room("Mid-takeover")).room_id
        await budi.client.join(rid)
        ask = Forwarded("sync", budi.user_id, "budi", b.hub.cluster.node_id)
        reply = await b.hub.answer_forwarded(rid, b.hub.cluster.node_id, encode_request(ask))
        with pytest.raises(RoomError) as refused_here:
            unpack(reply)
        assert refused_here.value.code == "unavailable"
    finally:
        for client in clients:
            await client.close()


async def test_a_cluster_refuses_sqlite(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        ServerConfig(db_url=f"sqlite:///{tmp_path}/x.db", cluster_url="redis://127.0.0.1:1/0")


def test_the_command_line_refuses_a_cluster_on_sqlite(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.server.main import main

    code = main(["--cluster", "redis://127.0.0.1:1/0", "--db", f"sqlite:///{tmp_path}/x.db"])
    assert code == 2
    assert "--cluster needs --db postgresql://" in capsys.readouterr().err


async def test_redis_down_then_restarted_mid_room_nothing_crashes_and_the_cluster_heals(
    start_node: StartNode, own_redis: RedisServer
) -> None:
    a = await start_node("a", cluster_url=own_redis.url())
    b = await start_node("b", cluster_url=own_redis.url())
    clients: list[RoomClient] = []
    try:
        ayu = await member(a, "ayu", clients)
        budi = await member(b, "budi", clients)
        rid = (await ayu.client.create_room("Through a restart")).room_id
        await budi.client.join(rid)
        await ayu.until(lambda m: m.audience.listeners == 1)

        own_redis.kill()
        # Degraded, and says since when; still answering (200): it still serves.
        for _ in range(100):
            health = await healthz(a)
            if not health["cluster"]["ok"]:
                break
            await asyncio.sleep(0.1)
        assert health["status"] == "degraded"
        assert health["cluster"]["status"].startswith("degraded: redis unreachable since 20")
        own_redis.restart()  # empty: no leases, no mirror, no listing, no subscriptions

        # Commands through b are taken again (after `unavailable` while it heals).
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            try:
                await budi.client.request(RaiseHand())
                break
            except RequestFailed as exc:
                assert exc.code == "unavailable", exc.code
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.1)
        await ayu.until(lambda m: [h.user_id for h in m.hand_queue()] == [budi.user_id])
        # Events reach b's member again, and the directory lists the room again.
        await ayu.client.request(ApproveHand(user_id=budi.user_id))
        await budi.until(lambda m: m.role_of(budi.user_id) == Role.SPEAKER)
        for _ in range(100):
            listed = await budi.client.conn.call_for(ListRooms(), RoomList)
            if [r.room_id for r in listed.rooms] == [rid]:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the room did not come back in b's directory")
        for server in (a, b):
            assert (await healthz(server))["cluster"]["status"] == "ok"
        assert a.hub.room_count == 1 and b.hub.room_count == 0
    finally:
        for client in clients:
            await client.close()
