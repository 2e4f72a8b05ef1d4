"""Events the server pushes before our join reply arrives are not lost."""

import msgspec

from app.client.session import RoomClient
from app.protocol.codec import Envelope
from app.protocol.events import MemberJoined, MemberUpdated
from app.protocol.replies import Event, RoomState
from app.protocol.requests import JoinRoom

from .scripted_server import reply, scripted_server
from .test_room_model import member, snap


def overtaking(envelope: Envelope) -> list[msgspec.Struct]:
    """The join reply (a snapshot at seq 5) after seq 6 and 7, and another room's event."""
    assert isinstance(envelope.request, JoinRoom)
    invited = MemberUpdated(member=member(3, hand_raised_at=1.0), cause="hand_raised")
    return [
        Event(room_id="r1", seq=6, event=MemberJoined(member=member(3))),
        Event(room_id="r1", seq=7, event=invited),
        Event(room_id="elsewhere", seq=1, event=MemberJoined(member=member(4))),
        reply(envelope, RoomState(room=snap(seq=5))),
    ]


async def test_an_event_that_overtakes_the_join_reply_is_applied_on_entering() -> None:
    async with scripted_server(overtaking) as url:
        client = RoomClient(url, reconnect=False)
        await client.connect()
        await client.register("ayu", "correct horse battery")
        try:
            model = await client.join("r1")
            assert model.seq == 7
            assert model.members[3].hand_raised_at == 1.0
            assert 4 not in model.members
        finally:
            await client.close()
