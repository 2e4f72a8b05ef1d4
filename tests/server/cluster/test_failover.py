"""A room outlives its origin: real panggung-server processes, kill -9 and
SIGSTOP, one Redis and one PostgreSQL."""

import asyncio
import signal
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from app.client.connection import RequestFailed
from app.client.room_model import RoomModel
from app.client.session import RoomClient
from app.protocol.model import Role
from app.protocol.replies import AudiencePage, InviteCreated, RoomState
from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    Ban,
    CreateInvite,
    InviteToStage,
    JoinRoom,
    ListAudience,
    MakeCohost,
    Mute,
    RaiseHand,
    SetTopic,
    Sync,
)
from tests.server.cluster.servers import ServerProcess, StartServer, server_process

__all__ = ["server_process"]
PASSWORD = "correct horse battery"
pytestmark = pytest.mark.postgres


class People:
    def __init__(self) -> None:
        self.clients: list[RoomClient] = []

    async def on(
        self, server: ServerProcess, name: str, token: str | None = None, reconnect: bool = False
    ) -> RoomClient:
        client = RoomClient(server.url, client_name="test", reconnect=reconnect)
        self.clients.append(client)
        await client.connect()
        if token is None:
            await client.register(name, PASSWORD)
        else:
            await client.resume(token)
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


async def accepted(client: RoomClient, request: Any, timeout: float = 15.0) -> float:
    """Send until the room takes it (it says `unavailable` while nobody holds it);
    returns when it was accepted."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await client.request(request)
            return time.monotonic()
        except RequestFailed as exc:
            if exc.code != "unavailable" or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def healthz(server: ServerProcess) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.http_url}/healthz") as response,
    ):
        body: dict[str, Any] = await response.json()
    return body


async def until(client: RoomClient, check: Callable[[RoomModel], bool]) -> RoomModel:
    return await client.wait_until(check, timeout=15)


async def refused(client: RoomClient, request: Any) -> str:
    with pytest.raises(RequestFailed) as failure:
        await client.request(request)
    return failure.value.code


async def test_kill_9_of_the_origin_mid_room(server_process: StartServer) -> None:
    a, b, c = [await server_process(name) for name in ("a", "b", "c")]
    people = People()
    try:
        # Clients learn the cluster's nodes at hello (a lists them once a second).
        deadline = time.monotonic() + 20
        while len((probe := await people.on(a, f"probe{time.monotonic_ns()}")).nodes) < 3:
            assert time.monotonic() < deadline, probe.nodes
            await asyncio.sleep(0.2)
        assert sorted(probe.nodes) == sorted(s.url for s in (a, b, c))
        # The host and a listener on the node that will die reconnect by themselves.
        ayu = await people.on(a, "ayu", reconnect=True)
        room = await ayu.create_room("Town hall", invite_only=True)
        rid = room.room_id
        code = (await ayu.conn.call_for(CreateInvite(), InviteCreated)).code
        budi, dewi = await people.on(b, "budi"), await people.on(b, "dewi")
        citra, eko = await people.on(c, "citra"), await people.on(c, "eko")
        gita = await people.on(a, "gita", reconnect=True)
        # One on the dying node who never comes back: cut off, not connected.
        fajar = await people.on(a, "fajar")
        for guest in (budi, dewi, citra, eko, gita, fajar):
            await guest.join(rid, code)
        # A co-host on b, a muted speaker on c, a raised hand on b, a ban.
        await budi.request(RaiseHand())
        await until(ayu, lambda m: bool(m.hand_queue()))
        await ayu.request(ApproveHand(user_id=budi.user_id))
        await ayu.request(MakeCohost(user_id=budi.user_id))
        await ayu.request(InviteToStage(user_id=citra.user_id))
        await until(citra, lambda m: m.members[citra.user_id].invited)
        await citra.request(AcceptInvite())
        await ayu.request(Mute(user_id=citra.user_id))
        await dewi.request(RaiseHand())
        await ayu.request(Ban(user_id=eko.user_id))
        before = await until(
            budi,
            lambda m: (
                m.role_of(budi.user_id) == Role.COHOST
                and m.members[citra.user_id].mod_muted
                and [h.user_id for h in m.hand_queue()] == [dewi.user_id]
            ),
        )
        seq_before = before.seq
        await asyncio.sleep(0.5)  # the last save is behind the replies: let it land
        assert ayu.reconnects == gita.reconnects == 0

        a.process.kill()  # kill -9
        killed = time.monotonic()
        await a.process.wait()

        # The co-host on b gets the room to take a command again.
        took = await accepted(budi, SetTopic(topic="after the crash"))
        failover = took - killed
        print(f"room took commands again {failover:.2f} s after kill -9 of its origin")
        assert failover < 10, failover
        # Everyone on a surviving node follows: a fresh snapshot, then the change.
        for member in (budi, citra, dewi):
            seen = await until(member, lambda m: m.snapshot.topic == "after the crash")
            assert seen.seq > seq_before
        state = await citra.conn.call_for(Sync(), RoomState)
        snap = state.room
        roles = {m.user_id: m for m in snap.members}
        assert snap.host_id == ayu.user_id
        assert roles[budi.user_id].role == Role.COHOST and roles[budi.user_id].connected
        assert roles[citra.user_id].role == Role.SPEAKER and roles[citra.user_id].mod_muted
        assert roles[dewi.user_id].hand_raised_at is not None
        # Its node died with it: away for the grace period, even while the
        # dead node's heartbeat in Redis has not run out yet.
        page = await budi.conn.call_for(ListAudience(prefix="fajar"), AudiencePage)
        assert [(m.user_id, m.connected) for m in page.members] == [(fajar.user_id, False)]
        # The model each survivor holds is the origin's room.
        for member in (budi, citra, dewi):
            assert member.model is not None
            assert {m.user_id: m.role for m in member.model.members.values()} == {
                m.user_id: m.role for m in snap.members
            }
        # The ban and the invite link are intact.
        assert await refused(eko, JoinRoom(room_id=rid, invite_code=code)) == "banned"
        hadi = await people.on(c, "hadi")
        assert await refused(hadi, JoinRoom(room_id=rid)) == "invite_required"
        assert (await hadi.join(rid, code)).role_of(hadi.user_id) == Role.LISTENER
        # The dead node's members come back through another node by themselves
        # (the node list from hello, backoff with jitter), in their places.
        back = await until(ayu, lambda m: ayu.reconnects > 0 and m.members[ayu.user_id].connected)
        assert back.role_of(ayu.user_id) == Role.HOST and ayu.url in (b.url, c.url)
        await until(gita, lambda m: gita.reconnects > 0)
        assert gita.url in (b.url, c.url) and gita.kicked is None
        await until(citra, lambda m: m.members[ayu.user_id].connected)
        await ayu.request(SetTopic(topic="back"))
        await until(dewi, lambda m: m.snapshot.topic == "back")
    finally:
        await people.close()


async def test_a_node_paused_past_its_lease_never_acts_on_the_room_again(
    server_process: StartServer,
) -> None:
    """SIGSTOP the origin past its lease, SIGCONT it: another node holds the room
    by then, and whatever the woken node's members ask goes there; two origins
    never both accept commands."""
    a, b = await server_process("a"), await server_process("b")
    people = People()
    try:
        ayu = await people.on(a, "ayu")
        rid = (await ayu.create_room("Paused")).room_id
        budi = await people.on(b, "budi")
        await budi.join(rid)
        await ayu.request(InviteToStage(user_id=budi.user_id))
        await until(budi, lambda m: m.members[budi.user_id].invited)
        await budi.request(AcceptInvite())
        await ayu.request(MakeCohost(user_id=budi.user_id))
        await until(budi, lambda m: m.role_of(budi.user_id) == Role.COHOST)
        await asyncio.sleep(0.5)

        a.signal(signal.SIGSTOP)
        try:
            await accepted(budi, SetTopic(topic="while a sleeps"))
        finally:
            a.signal(signal.SIGCONT)
        # The woken node's member: each accepted command is the new origin's.
        topics: list[str] = []
        deadline = time.monotonic() + 15
        n = 0
        while len(topics) < 3 and time.monotonic() < deadline:
            n += 1
            topic = f"from a {n}"
            try:
                await ayu.request(SetTopic(topic=topic))
            except RequestFailed as exc:
                assert exc.code == "unavailable", exc.code
                await asyncio.sleep(0.2)
                continue
            topics.append(topic)
            # Accepted: then budi, whose room is b's, sees it.
            await until(budi, lambda m, t=topic: m.snapshot.topic == t)  # type: ignore[misc]
        assert len(topics) == 3, topics
        state = await budi.conn.call_for(Sync(), RoomState)
        assert state.room.topic == topics[-1]
        # a holds no room any more: it gave the room up when it woke.
        assert (await healthz(a))["rooms"] == 0
        assert (await healthz(b))["rooms"] == 1
    finally:
        await people.close()
