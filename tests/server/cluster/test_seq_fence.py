"""An event's seq never repeats or goes back across a takeover, even when the
old origin numbered events that Redis never recorded."""

import asyncio

import pytest

from app.client.session import RoomClient
from app.protocol.requests import SetTopic
from tests.server.cluster.conftest import MakeNode, Recorder, eventually
from tests.server.cluster.test_nodes import StartNode, member, start_node
from tests.support.redis import RedisServer
from tests.support.tcprelay import TcpRelay

pytestmark = pytest.mark.postgres
__all__ = ["start_node"]  # the fixture, used by name


async def test_a_new_origin_numbers_above_what_the_old_one_delivered_unrecorded(
    start_node: StartNode, make_node: MakeNode, redis_server: RedisServer
) -> None:
    """The origin is cut off from Redis and, while its lease still has time,
    accepts three changes from its own member: they reach that member (seq
    N+1..N+3) but not Redis, which keeps N. The node that takes the room over
    must still number above N+3: the member follows it when its node is back,
    and would take N+2 and N+3 for events it already has (the 20,000 attempt's
    113 after 116)."""
    relay = TcpRelay("127.0.0.1", redis_server.port)
    await relay.start()
    clients: list[RoomClient] = []
    try:
        a = await start_node("a", cluster_url=relay.url())
        b = await start_node("b")
        watcher = await make_node("watcher")
        ayu = await member(a, "ayu", clients)
        budi = await member(b, "budi", clients)
        rid = (await ayu.client.create_room("Fenced seq")).room_id
        await budi.client.join(rid)
        published = Recorder()
        await watcher.subscribe(rid, published)
        await ayu.client.request(SetTopic(topic="recorded"))
        await budi.until(lambda m: m.snapshot.topic == "recorded")
        relay.cut()
        for n in range(3):  # accepted: a's lease has time left, but Redis never hears of them
            await ayu.client.request(SetTopic(topic=f"unrecorded {n}"))
        assert ayu.client.model is not None
        delivered = ayu.client.model.seq
        assert budi.client.model is not None and budi.client.model.seq == delivered - 3
        await eventually(lambda: b.hub.room_count == 1, timeout=10, what="b to take over")
        relay.heal()
        await eventually(lambda: a.hub.room_count == 0, timeout=10, what="a to learn it lost")
        await ayu.client.request(SetTopic(topic="on b"))  # forwarded to b now
        await ayu.until(lambda m: m.snapshot.topic == "on b")
        await budi.until(lambda m: m.snapshot.topic == "on b")
        newer = [seq for _, seq, _ in published.events if seq > delivered - 3]
        assert newer and min(newer) > delivered, (delivered, published.seqs())
        # Both members follow the same stream again.
        await eventually(
            lambda: (
                ayu.client.model is not None
                and budi.client.model is not None
                and ayu.client.model.seq == budi.client.model.seq
            ),
            what="the members to agree on the seq",
        )
    finally:
        for client in clients:
            await asyncio.wait_for(client.close(), 5)
        await relay.close()
