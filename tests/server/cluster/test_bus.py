"""Room events between nodes: once per room, in order, to subscribed nodes only."""

import asyncio

from app.server.cluster import Outcome
from tests.server.cluster.conftest import MakeNode, Recorder, eventually
from tests.support.redis import RedisServer


def command_calls(redis: RedisServer, command: str) -> int:
    for line in redis.command("INFO", "commandstats").splitlines():
        if line.startswith(f"cmdstat_{command}:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


async def test_events_reach_subscribed_nodes_in_order_and_only_them(make_node: MakeNode) -> None:
    origin = await make_node("origin")
    b = await make_node("b")
    c = await make_node("c")
    other_room = await make_node("other")
    at_b, at_c, at_other = Recorder(), Recorder(), Recorder()
    await b.subscribe("r", at_b)
    await c.subscribe("r", at_c)
    await other_room.subscribe("elsewhere", at_other)
    lease = await origin.acquire("r")
    assert lease is not None
    # Published without awaiting in between, as the hub does: order is kept.
    writes = [lease.publish(seq, f"event {seq}".encode()) for seq in range(1, 301)]
    assert set(await asyncio.gather(*writes)) == {Outcome.DONE}
    await eventually(lambda: len(at_b.events) == 300 and len(at_c.events) == 300)
    for seen in (at_b, at_c):
        assert seen.seqs() == list(range(1, 301))
        assert seen.events[41] == ("r", 42, b"event 42")
        assert seen.resyncs == []
    assert at_other.events == [] and origin.events_received == 0
    # Batched: far fewer round trips than events.
    assert origin.writer.round_trips < 150


async def test_an_event_costs_one_publish_however_many_listen(
    make_node: MakeNode, redis_server: RedisServer
) -> None:
    """Redis traffic per event grows with nodes, not with listeners: one
    SPUBLISH per event, received once by each subscribed node."""
    origin = await make_node("origin")
    nodes = [await make_node(f"n{i}") for i in range(3)]
    seen = [Recorder() for _ in nodes]
    for node, recorder in zip(nodes, seen, strict=True):
        await node.subscribe("r", recorder)
    lease = await origin.acquire("r")
    assert lease is not None
    events = origin.keys.room("r").events
    assert redis_server.command("PUBSUB", "SHARDNUMSUB", events).split() == [events, "3"]
    before = command_calls(redis_server, "spublish")
    for seq in range(1, 51):
        await lease.publish(seq, b"x")
    await eventually(lambda: all(len(r.events) == 50 for r in seen))
    assert command_calls(redis_server, "spublish") - before == 50
    assert [node.events_received for node in nodes] == [50, 50, 50]


async def test_a_node_that_unsubscribes_hears_no_more(make_node: MakeNode) -> None:
    origin = await make_node("origin")
    b = await make_node("b")
    seen = Recorder()
    await b.subscribe("r", seen)
    lease = await origin.acquire("r")
    assert lease is not None
    await lease.publish(1, b"one")
    await eventually(lambda: seen.seqs() == [1])
    await b.unsubscribe("r")
    await lease.publish(2, b"two")
    await asyncio.sleep(0.3)
    assert seen.seqs() == [1]


async def test_a_gap_in_seq_asks_for_a_resync_before_the_event(make_node: MakeNode) -> None:
    origin = await make_node("origin")
    b = await make_node("b")
    order: list[str] = []

    class Listener(Recorder):
        def on_event(self, room_id: str, seq: int, frame: bytes) -> None:
            order.append(f"event {seq}")
            super().on_event(room_id, seq, frame)

        def on_resync(self, room_id: str, reason: str) -> None:
            order.append(f"resync {reason}")
            super().on_resync(room_id, reason)

    await b.subscribe("r", Listener())
    lease = await origin.acquire("r")
    assert lease is not None
    for seq in (1, 2, 5, 6):
        await lease.publish(seq, b"x")
    await eventually(lambda: len(order) == 5)
    assert order == ["event 1", "event 2", "resync gap", "event 5", "event 6"]


async def test_a_new_origin_carries_on_the_seq_and_nodes_resync(make_node: MakeNode) -> None:
    a = await make_node("a")
    b = await make_node("b")
    watcher = await make_node("watcher")
    seen = Recorder()
    await watcher.subscribe("r", seen)
    first = await a.acquire("r")
    assert first is not None
    for seq in (1, 2, 3):
        await first.publish(seq, b"from a")
    await first.release()
    second = await b.acquire("r")
    assert second is not None
    restored = await b.restore("r")
    assert restored is not None and restored.seq == 3
    await second.publish(restored.seq + 1, b"from b")
    await eventually(lambda: seen.seqs() == [1, 2, 3, 4])
    assert seen.resyncs == [("r", "new origin")]


async def test_notices_go_in_order_with_events_and_leave_the_seq_alone(
    make_node: MakeNode, redis_server: RedisServer
) -> None:
    """A notice (counts, a kick) travels the events' channel and queue, in call
    order, but is not numbered: no resync, and the stored last seq stays."""
    origin = await make_node("origin")
    b = await make_node("b")
    order: list[str] = []

    class Listener(Recorder):
        def on_event(self, room_id: str, seq: int, frame: bytes) -> None:
            order.append(f"e{seq}")
            super().on_event(room_id, seq, frame)

        def on_notice(self, room_id: str, target: int, frame: bytes, kick: bool) -> None:
            order.append(f"n{target}")
            super().on_notice(room_id, target, frame, kick)

    seen = Listener()
    await b.subscribe("r", seen)
    lease = await origin.acquire("r")
    assert lease is not None
    writes = [
        lease.publish(1, b"one"),
        lease.notify(0, b"counts"),
        lease.publish(2, b"two"),
        lease.notify(7, b"kicked", kick=True),
        lease.notify(8, b"for another node", kick=True, node="someone-else"),
        lease.notify(9, b"for b", node=b.node_id),
    ]
    assert set(await asyncio.gather(*writes)) == {Outcome.DONE}
    await eventually(lambda: len(order) == 5)
    assert order == ["e1", "n0", "e2", "n7", "n9"]
    assert seen.notices[:2] == [("r", 0, b"counts", False), ("r", 7, b"kicked", True)]
    assert seen.resyncs == []
    assert redis_server.command("GET", origin.keys.room("r").seq).strip() == "2"
