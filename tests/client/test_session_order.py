"""Events the server pushes before our join reply arrives are not lost."""

from app.client.session import RoomClient
from app.protocol.events import MemberJoined, MemberUpdated
from app.protocol.replies import Event, RoomState

from .test_room_model import member, snap


async def test_an_event_that_overtakes_the_join_reply_is_applied_on_entering() -> None:
    client = RoomClient("ws://127.0.0.1:9/ws", reconnect=False)
    # The pump sees seq 6 and 7 before join() has installed the snapshot at seq 5.
    await client._apply(Event(room_id="r1", seq=6, event=MemberJoined(member=member(3))))
    invited = MemberUpdated(member=member(3, hand_raised_at=1.0), cause="hand_raised")
    await client._apply(Event(room_id="r1", seq=7, event=invited))
    await client._apply(Event(room_id="elsewhere", seq=1, event=MemberJoined(member=member(4))))
    model = await client._enter(RoomState(room=snap(seq=5)))
    assert model.seq == 7
    assert model.members[3].hand_raised_at == 1.0
    assert 4 not in model.members
