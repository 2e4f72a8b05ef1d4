"""A whole room's life over real WebSockets, on SQLite and on PostgreSQL:
register, create, join, hands, invitations, moderation, bans, host hand-over,
server restart and resync."""

import pytest

from app.client.connection import RequestFailed
from app.client.room_model import RoomModel
from app.client.session import RoomClient
from app.protocol.model import ReactionSender, Role
from app.protocol.replies import InviteCreated, Reactions, RoomList
from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    Ban,
    CreateInvite,
    DenyHand,
    InviteToStage,
    JoinRoom,
    ListRooms,
    MakeCohost,
    Mute,
    PinLink,
    RaiseHand,
    React,
    Remove,
    SelfMute,
    SetLocked,
    SetTopic,
    Unmute,
)
from app.server.app import RunningServer, start_server

from .conftest import PASSWORD, config_for

GRACE = 1.0


async def signed_in(server: RunningServer, name: str, register: bool = True) -> RoomClient:
    client = RoomClient(server.url, client_name="test", reconnect=False)
    await client.connect()
    if register:
        await client.register(name, PASSWORD)
    else:
        await client.login(name, PASSWORD)
    return client


def role(model: RoomModel, client: RoomClient) -> Role | None:
    return model.role_of(client.user_id)


async def refused(client: RoomClient, request: object) -> str:
    with pytest.raises(RequestFailed) as failure:
        await client.request(request)  # type: ignore[arg-type]
    return failure.value.code


async def test_a_room_from_creation_to_hand_over_and_restart(db_url: str) -> None:
    server = await start_server(config_for(db_url, grace_period=GRACE, tick_interval=0.1))
    clients: list[RoomClient] = []
    try:
        ayu, budi, citra, dewi, eko = [
            await signed_in(server, name) for name in ("ayu", "budi", "citra", "dewi", "eko")
        ]
        clients += [ayu, budi, citra, dewi, eko]
        room = await ayu.create_room("Town hall", topic="Roads and bridges")
        rid = room.room_id
        assert role(room, ayu) == Role.HOST and room.snapshot.stage_capacity == 13

        # The directory lists it; everyone joins as a listener.
        listed = await dewi.conn.call_for(ListRooms(), RoomList)
        assert [r.room_id for r in listed.rooms] == [rid]
        for guest in (budi, citra, dewi, eko):
            assert role(await guest.join(rid), guest) == Role.LISTENER
        # Listeners are counted, not listed: the host sees four of them.
        await ayu.wait_until(lambda m: m.audience.listeners == 4)
        assert set(room.members) == {ayu.user_id}

        # Hands form a queue in the order they went up.
        await budi.request(RaiseHand())
        await citra.request(RaiseHand())
        queue = await ayu.wait_until(lambda m: len(m.hand_queue()) == 2)
        assert [m.user_id for m in queue.hand_queue()] == [budi.user_id, citra.user_id]
        await ayu.request(ApproveHand(user_id=budi.user_id))
        await ayu.request(DenyHand(user_id=citra.user_id))
        seen = await citra.wait_until(lambda m: not m.hand_queue())
        assert role(seen, budi) == Role.SPEAKER and role(seen, citra) == Role.LISTENER

        # An invitation is accepted by the invitee, not forced on them.
        await ayu.request(InviteToStage(user_id=citra.user_id))
        await citra.wait_until(lambda m: m.members[citra.user_id].invited)
        await citra.request(AcceptInvite())
        await ayu.wait_until(lambda m: role(m, citra) == Role.SPEAKER)

        # A moderator's mute holds until a moderator lifts it.
        await ayu.request(Mute(user_id=budi.user_id))
        await budi.wait_until(lambda m: m.members[budi.user_id].mod_muted)
        assert await refused(budi, SelfMute(muted=False)) == "forbidden"
        await ayu.request(Unmute(user_id=budi.user_id))
        await budi.request(SelfMute(muted=False))

        # Permissions are the server's: a listener cannot moderate.
        assert await refused(dewi, Mute(user_id=citra.user_id)) == "forbidden"
        assert await refused(dewi, ApproveHand(user_id=eko.user_id)) == "forbidden"
        assert await refused(budi, MakeCohost(user_id=citra.user_id)) == "forbidden"

        # A co-host moderates speakers but not the host.
        await ayu.request(MakeCohost(user_id=budi.user_id))
        await budi.wait_until(lambda m: role(m, budi) == Role.COHOST)
        await budi.request(Mute(user_id=citra.user_id))
        assert await refused(budi, Mute(user_id=ayu.user_id)) == "forbidden"

        # Removal lets someone back in; a ban does not.
        await ayu.request(Remove(user_id=eko.user_id))
        await eko.wait_until(lambda m: eko.kicked == "removed")
        await eko.join(rid)
        await ayu.request(Ban(user_id=eko.user_id))
        await eko.wait_until(lambda m: eko.kicked == "banned")
        assert await refused(eko, JoinRoom(room_id=rid)) == "banned"

        # Room settings, reactions and locking.
        reactions: list[Reactions] = []
        ayu.reaction_hooks.append(reactions.append)
        await ayu.request(SetTopic(topic="Bridges only"))
        await ayu.request(PinLink(url="https://example.org/agenda"))
        await dewi.request(React(reaction="clap"))
        await ayu.wait_until(lambda m: bool(reactions))
        assert reactions[0].counts == {"clap": 1}
        assert reactions[0].senders == [
            ReactionSender(user_id=dewi.user_id, name="dewi", reaction="clap")
        ]
        await ayu.request(SetLocked(locked=True))
        fajar = await signed_in(server, "fajar")
        clients.append(fajar)
        assert await refused(fajar, JoinRoom(room_id=rid)) == "room_locked"
        await ayu.request(SetLocked(locked=False))
        invite = await ayu.conn.call_for(CreateInvite(), InviteCreated)
        assert invite.link.startswith("panggung://") and rid in invite.link
        model = await fajar.join(rid)
        assert model.snapshot.topic == "Bridges only"
        assert model.snapshot.pinned_link == "https://example.org/agenda"

        listed = await dewi.conn.call_for(ListRooms(), RoomList)
        assert (listed.rooms[0].speakers, listed.rooms[0].listeners) == (3, 2)

        # The host's connection drops: after the grace period the co-host runs the room.
        await ayu.close()
        clients.remove(ayu)
        await budi.wait_until(lambda m: not m.members[ayu.user_id].connected)
        after = await budi.wait_until(lambda m: role(m, budi) == Role.HOST, timeout=GRACE + 5)
        assert ayu.user_id not in after.members and after.snapshot.host_id == budi.user_id
    finally:
        for client in clients:
            await client.close()
        await server.stop()

    # A restart restores the room, its roles and its bans from the database.
    server = await start_server(config_for(db_url, grace_period=30.0))
    clients = []
    try:
        budi2 = await signed_in(server, "budi", register=False)
        eko2 = await signed_in(server, "eko", register=False)
        citra2 = await signed_in(server, "citra", register=False)
        clients += [budi2, eko2, citra2]
        back = await budi2.join(rid)
        assert role(back, budi2) == Role.HOST
        assert back.members[citra.user_id].role == Role.SPEAKER
        assert back.members[citra.user_id].mod_muted
        assert not back.members[citra.user_id].connected  # in grace until citra is back
        assert await refused(eko2, JoinRoom(room_id=rid)) == "banned"
        await citra2.join(rid)
        await budi2.wait_until(lambda m: m.members[citra.user_id].connected)
    finally:
        for client in clients:
            await client.close()
        await server.stop()
