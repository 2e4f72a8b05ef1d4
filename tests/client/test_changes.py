"""The RoomClient's one change stream (app/client/changes.py)."""

from app.client.changes import (
    AudienceCounted,
    ChangeStream,
    ClientChange,
    EventApplied,
    KickedOut,
    LinkDown,
    LinkUp,
    RoomReset,
)
from app.protocol.requests import Remove, SetTopic
from app.server.app import RunningServer
from tests.client.desktop_support import until
from tests.client.real_server import signed_in


def test_subscribers_hear_every_change_in_order_until_they_unsubscribe() -> None:
    stream = ChangeStream()
    first: list[ClientChange] = []
    second: list[ClientChange] = []

    def broken(_change: ClientChange) -> None:
        raise RuntimeError("a view with a bug")

    stream.subscribe(broken)
    stop_first = stream.subscribe(first.append)
    stream.subscribe(second.append)
    stream.publish(LinkDown(reconnecting=True))
    stream.publish(LinkUp(rejoined=True))
    # One subscriber that raises does not keep the others from hearing it.
    assert first == second == [LinkDown(reconnecting=True), LinkUp(rejoined=True)]
    stop_first()
    stop_first()  # a second call does nothing
    stream.publish(RoomReset())
    assert first == [LinkDown(reconnecting=True), LinkUp(rejoined=True)]
    assert second[-1] == RoomReset()
    assert stream.subscribers == 2


async def test_events_a_drop_a_rejoin_and_a_kick_arrive_on_the_stream(
    server: RunningServer,
) -> None:
    host = await signed_in(server.url, "host")
    me = await signed_in(server.url, "mira", reconnect=True)
    seen: list[ClientChange] = []
    try:
        room = await host.create_room("Stream")
        me.changes.subscribe(seen.append)
        await me.join(room.room_id)
        assert seen[0] == RoomReset()  # entering installs the snapshot
        await host.request(SetTopic(topic="news"))
        await until(lambda: any(isinstance(c, EventApplied) for c in seen), what="topic event")
        assert me.model is not None and me.model.snapshot.topic == "news"

        # The link drops: down (it will retry), then up and back in the room.
        await me.conn.close()
        await until(lambda: LinkUp(rejoined=True) in seen, 30, "rejoined")
        down = seen.index(LinkDown(reconnecting=True))
        assert down < seen.index(LinkUp(rejoined=True))
        assert RoomReset() in seen[down:]

        # A kick is its own change, and the model's events still come.
        del seen[:]
        await host.request(Remove(user_id=me.user_id))
        await until(lambda: any(isinstance(c, KickedOut) for c in seen), what="kicked")
        assert KickedOut("removed") in seen and me.kicked == "removed"
        assert not any(isinstance(c, LinkDown) for c in seen)
        assert all(
            isinstance(c, EventApplied | KickedOut | AudienceCounted | RoomReset) for c in seen
        )
    finally:
        await me.close()
        await host.close()
