"""The ban list (#18 point 12): moderators read a room's bans with names and
lift them; the server checks who asks (listeners and speakers are refused
in tests/server/hostile/test_authorisation.py)."""

from app.client.session import RoomClient
from app.protocol.model import BannedUser, Role
from app.protocol.requests import (
    AcceptInvite,
    Ban,
    InviteToStage,
    JoinRoom,
    ListBans,
    MakeCohost,
    Unban,
)
from app.server.app import start_server

from .conftest import config_for
from .test_room_life import refused, signed_in

NO_ACCOUNT = 2_000_000


async def test_moderators_list_bans_by_name_and_unban(db_url: str) -> None:
    server = await start_server(config_for(db_url))
    clients: list[RoomClient] = []
    try:
        ayu, budi, zed, eko = [
            await signed_in(server, name) for name in ("ayu", "budi", "Zed", "eko")
        ]
        clients += [ayu, budi, zed, eko]
        room = await ayu.create_room("Town hall")
        rid = room.room_id
        assert (await ayu.list_bans()).bans == []
        for guest in (budi, eko):
            await guest.join(rid)
        # A member (kicked out), a user who never came, and an id with no account.
        await ayu.request(Ban(user_id=eko.user_id))
        await eko.wait_until(lambda m: eko.kicked == "banned")
        await ayu.request(Ban(user_id=zed.user_id))
        await ayu.request(Ban(user_id=NO_ACCOUNT))
        listed = await ayu.list_bans()
        assert listed.bans == [
            BannedUser(user_id=NO_ACCOUNT, name=f"#{NO_ACCOUNT}"),
            BannedUser(user_id=eko.user_id, name="eko"),
            BannedUser(user_id=zed.user_id, name="Zed"),
        ]
        assert listed.total == 3
        # A listener may not read it: the server checks, whatever the client shows.
        assert await refused(budi, ListBans()) == "forbidden"
        # A co-host may, and lifts a ban: eko can come back.
        await ayu.request(InviteToStage(user_id=budi.user_id))
        await budi.wait_until(lambda m: m.members[budi.user_id].invited)
        await budi.request(AcceptInvite())
        await ayu.request(MakeCohost(user_id=budi.user_id))
        await budi.wait_until(lambda m: m.role_of(budi.user_id) is Role.COHOST)
        assert [b.name for b in (await budi.list_bans()).bans] == [f"#{NO_ACCOUNT}", "eko", "Zed"]
        await budi.request(Unban(user_id=eko.user_id))
        assert [b.user_id for b in (await ayu.list_bans()).bans] == [NO_ACCOUNT, zed.user_id]
        await eko.join(rid)
        assert await refused(zed, JoinRoom(room_id=rid)) == "banned"
    finally:
        for client in clients:
            await client.close()
        await server.stop()
