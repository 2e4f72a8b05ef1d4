"""The room outlives dropped connections and server restarts."""

from app.client.session import RoomClient
from app.protocol.model import Role
from app.protocol.requests import ApproveHand, RaiseHand
from app.server.app import start_server

from .conftest import PASSWORD, config_for


async def client_for(url: str, name: str, reconnect: bool, register: bool = True) -> RoomClient:
    client = RoomClient(url, client_name="test", reconnect=reconnect)
    await client.connect()
    if register:
        await client.register(name, PASSWORD)
    else:
        await client.login(name, PASSWORD)
    return client


async def test_a_dropped_listener_gets_their_raised_hand_back(sqlite_url: str) -> None:
    server = await start_server(config_for(sqlite_url, grace_period=30.0))
    host = await client_for(server.url, "host", reconnect=False)
    guest = await client_for(server.url, "guest", reconnect=True)
    try:
        room = await host.create_room("Continuity")
        await guest.join(room.room_id)
        await guest.request(RaiseHand())
        await host.wait_until(lambda m: len(m.hand_queue()) == 1)
        # Cut the socket under the client: it reconnects on its own.
        await guest.conn.close()
        await host.wait_until(lambda m: not m.members[guest.user_id].connected)
        back = await guest.wait_until(lambda m: guest.reconnects == 1)
        assert back.members[guest.user_id].hand_raised_at is not None
        await host.wait_until(lambda m: m.members[guest.user_id].connected)
        assert [m.user_id for m in host.model.hand_queue()] == [guest.user_id]  # type: ignore[union-attr]
    finally:
        await host.close()
        await guest.close()
        await server.stop()


async def test_the_room_ends_when_no_moderator_comes_back(sqlite_url: str) -> None:
    server = await start_server(config_for(sqlite_url, grace_period=0.5, tick_interval=0.1))
    host = await client_for(server.url, "host", reconnect=False)
    guest = await client_for(server.url, "guest", reconnect=False)
    try:
        room = await host.create_room("Short-lived")
        await guest.join(room.room_id)
        await host.close()
        ended = await guest.wait_until(lambda m: not m.live, timeout=5)
        assert ended.ended_reason == "no_moderator"
        assert guest.kicked == "ended"
    finally:
        await guest.close()
        await server.stop()


async def test_clients_reconnect_and_resync_after_a_server_restart(db_url: str) -> None:
    url = db_url
    server = await start_server(config_for(url, grace_period=30.0))
    port = server.port
    host = await client_for(server.url, "host", reconnect=True)
    speaker = await client_for(server.url, "speaker", reconnect=True)
    try:
        room = await host.create_room("Restartable")
        await speaker.join(room.room_id)
        await speaker.request(RaiseHand())
        await host.request(ApproveHand(user_id=speaker.user_id))
        await speaker.wait_until(lambda m: m.role_of(speaker.user_id) == Role.SPEAKER)
        await server.stop()
        server = await start_server(config_for(url, grace_period=30.0, port=port))
        # Both clients come back by themselves and see the restored room.
        await host.wait_until(lambda m: host.reconnects >= 1, timeout=15)
        await speaker.wait_until(lambda m: speaker.reconnects >= 1, timeout=15)
        seen = await speaker.wait_until(
            lambda m: all(member.connected for member in m.members.values()), timeout=10
        )
        assert seen.role_of(host.user_id) == Role.HOST
        assert seen.role_of(speaker.user_id) == Role.SPEAKER
    finally:
        await host.close()
        await speaker.close()
        await server.stop()
