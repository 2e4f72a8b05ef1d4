"""`media_stalled` in the RoomClient, from a real server through the real
connection: one `MediaStall` change per change of state (a repeat tells
nothing), only for our room, and forgotten when the connection comes back
(the node that carries the new link tells again if still stalled)."""

from app.client.changes import ClientChange, MediaStall
from app.protocol import encode
from app.protocol.replies import MediaStalled, RoomState
from app.protocol.requests import Sync
from app.server.app import RunningServer
from tests.client.real_server import signed_in


async def test_a_stall_is_one_change_each_way_and_a_reconnect_forgets_it(
    server: RunningServer,
) -> None:
    host = await signed_in(server.url, "host")
    guest = await signed_in(server.url, "guest", reconnect=True)
    try:
        rid = (await host.create_room("Stalls")).room_id
        await guest.join(rid)
        seen: list[ClientChange] = []
        guest.changes.subscribe(lambda c: seen.append(c) if isinstance(c, MediaStall) else None)

        def tell(room_id: str, stalled: bool) -> None:
            frame = encode(MediaStalled(room_id=room_id, stalled=stalled))
            server.hub.on_notice(rid, guest.user_id, frame, False)

        tell(rid, True)
        tell(rid, True)  # a repeat
        tell("another-room", False)
        await guest.conn.call_for(Sync(), RoomState)  # answered after those frames
        assert guest.media_stalled and seen == [MediaStall(True)]
        tell(rid, False)
        await guest.wait_until(lambda _m: not guest.media_stalled)
        assert seen == [MediaStall(True), MediaStall(False)]

        tell(rid, True)
        await guest.wait_until(lambda _m: guest.media_stalled)
        await guest.conn.close()  # cut under the client: it reconnects by itself
        await guest.wait_until(lambda _m: guest.reconnects == 1, timeout=15)
        assert not guest.media_stalled
        assert seen[-2:] == [MediaStall(True), MediaStall(False)]
    finally:
        await guest.close()
        await host.close()
