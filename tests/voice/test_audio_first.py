"""Members with an audio link get the room's events before the audience
(app/server/hub.py `_front`): recorded when their offer is answered, let go
when their connection is."""

import asyncio

from app.server.app import RunningServer

from .helpers import Member


async def test_an_answered_offer_puts_the_member_in_front_until_they_leave(
    server: RunningServer,
) -> None:
    host = await Member.sign_in(server.url, "host")
    ear = await Member.sign_in(server.url, "ear")
    try:
        rid = (await host.client.create_room("In front")).room_id
        await ear.client.join(rid)
        hub = server.hub
        assert hub.front_of(rid) == [host.user_id]  # the stage only: no audio yet
        await ear.start_audio()
        assert hub.front_of(rid) == [host.user_id, ear.user_id]
        await ear.close()
        for _ in range(100):  # the server sees the connection go
            if hub.front_of(rid) == [host.user_id]:
                break
            await asyncio.sleep(0.05)
        assert hub.front_of(rid) == [host.user_id]
    finally:
        await ear.close()
        await host.close()
