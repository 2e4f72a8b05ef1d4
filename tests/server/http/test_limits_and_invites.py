"""Per-account flood limits, reaction limits, and invite links that survive a restart."""

import asyncio

import pytest

from app.client.connection import RequestFailed
from app.client.session import RoomClient
from app.protocol.links import parse_link
from app.protocol.replies import InviteCreated, RoomList
from app.protocol.requests import CreateInvite, ListRooms, React
from app.server.app import RunningServer, start_server

from .conftest import PASSWORD, ClientFactory, config_for


async def login(server: RunningServer, name: str) -> RoomClient:
    client = RoomClient(server.url, reconnect=False)
    await client.connect()
    await client.login(name, PASSWORD)
    return client


async def burst(client: RoomClient, count: int) -> list[str]:
    async def one() -> str:
        try:
            await client.request(ListRooms())
        except RequestFailed as exc:
            return exc.code
        return "ok"

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def test_an_accounts_connections_share_one_budget(
    server: RunningServer, make_client: ClientFactory
) -> None:
    await make_client("hydra")
    heads = [await login(server, "hydra") for _ in range(3)]
    try:
        # 25 each is within the per-connection limit (30/s) but 75 exceed the
        # account's 60/s.
        results = await asyncio.gather(*(burst(head, 25) for head in heads))
        flat = [code for result in results for code in result]
        assert flat.count("rate_limited") >= 10
        assert flat.count("ok") >= 55
        # Another account is not affected.
        other = await make_client("bystander")
        assert set(await burst(other, 10)) == {"ok"}
    finally:
        for head in heads:
            await head.close()


async def test_reactions_are_rate_limited(make_client: ClientFactory) -> None:
    host = await make_client("clapper")
    await host.create_room("Applause")
    codes = []
    for _ in range(12):
        try:
            await host.request(React(reaction="clap"))
            codes.append("ok")
        except RequestFailed as exc:
            codes.append(exc.code)
    assert codes == ["ok"] * 10 + ["rate_limited"] * 2


@pytest.mark.parametrize("invite_via_link", [True, False])
async def test_invite_only_rooms_need_a_link_that_survives_a_restart(
    sqlite_url: str, invite_via_link: bool
) -> None:
    server = await start_server(config_for(sqlite_url))
    host = RoomClient(server.url, reconnect=False)
    guest = RoomClient(server.url, reconnect=False)
    await host.connect()
    await guest.connect()
    await host.register("gatekeeper", PASSWORD)
    await guest.register("visitor", PASSWORD)
    room = await host.create_room("Members only", invite_only=True)
    invite = await host.conn.call_for(CreateInvite(), InviteCreated)
    # Not listed, not joinable without the code.
    assert (await guest.conn.call_for(ListRooms(), RoomList)).rooms == []
    with pytest.raises(RequestFailed) as refused:
        await guest.join(room.room_id)
    assert refused.value.code == "invite_required"
    with pytest.raises(RequestFailed) as wrong:
        await guest.join(room.room_id, "not-the-code")
    assert wrong.value.code == "invite_required"
    await host.close()
    await guest.close()
    await server.stop()

    server = await start_server(config_for(sqlite_url))
    guest = RoomClient(server.url, reconnect=False)
    await guest.connect()
    try:
        await guest.login("visitor", PASSWORD)
        if invite_via_link:
            link = parse_link(invite.link)
            model = await guest.join(link.room_id, link.invite_code)
        else:
            model = await guest.join(room.room_id, invite.code)
        assert model.room_id == room.room_id
    finally:
        await guest.close()
        await server.stop()
