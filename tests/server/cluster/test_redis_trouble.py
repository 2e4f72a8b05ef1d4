"""Redis restarted, away, or hung: nothing crashes, nodes say so, and the cluster heals."""

import pytest

from app.server.cluster import (
    ClusterNode,
    Fenced,
    Holder,
    LeaseState,
    MemberEntry,
    Outcome,
    Unavailable,
)
from tests.server.cluster.conftest import LEASE_TTL, MakeNode, Recorder, eventually, until
from tests.support.redis import RedisServer


def all_running(*nodes: ClusterNode) -> bool:
    return all(node.running for node in nodes)


async def test_redis_restarted_mid_room_the_cluster_heals(
    make_node: MakeNode, own_redis: RedisServer
) -> None:
    url = own_redis.url()
    origin = await make_node("origin", url)
    b = await make_node("b", url)
    c = await make_node("c", url)

    async def handler(room_id: str, sender: str, body: bytes) -> bytes:
        return b"ok " + body

    origin.serve(handler)
    seen = Recorder()
    await b.subscribe("r", seen)
    lease = await origin.acquire("r")
    assert lease is not None
    await lease.list(b"summary")
    await lease.mirror({1: MemberEntry("origin", b"host"), 2: MemberEntry("b", b"listener")})
    for seq in (1, 2, 3):
        await lease.publish(seq, b"before")
    await eventually(lambda: seen.seqs() == [1, 2, 3])

    own_redis.restart()  # empty: no persistence, as after a crash
    # b's subscription broke: it is made again, and b is told to resync.
    await eventually(lambda: ("r", "redis reconnected") in seen.resyncs, what="b's resync")

    # The lease came back to the same origin at the same epoch: nobody else
    # could have taken the room while Redis was empty.
    mine = Holder(origin.node_id, lease.epoch)
    await until(lambda: c.holder("r"), lambda h: h == mine, what="the lease re-established")
    assert lease.state is LeaseState.ACTIVE
    # What Redis lost is written again: the mirror, the directory, the registry.
    members = {1: MemberEntry("origin", b"host"), 2: MemberEntry("b", b"listener")}
    await until(
        lambda: c.restore("r"), lambda v: v is not None and v.members == members, what="mirror"
    )
    await until(c.directory, lambda d: [x.room_id for x in d] == ["r"], what="the listing")
    await until(
        c.nodes,
        lambda ns: sorted(n.name for n in ns) == ["b", "c", "origin"],
        what="the registry rebuilt",
    )
    # And the room goes on: events reach b again, requests reach the origin.
    assert await lease.publish(4, b"after") is Outcome.DONE
    await eventually(lambda: seen.seqs()[-1:] == [4], what="an event after the restart")
    assert await c.forward("r", b"raise hand") == b"ok raise hand"
    assert origin.health().ok and b.health().ok and c.health().ok
    assert all_running(origin, b, c)


async def test_redis_away_past_the_lease_suspends_the_origin_until_it_is_back(
    make_node: MakeNode, own_redis: RedisServer
) -> None:
    url = own_redis.url()
    origin = await make_node("origin", url)
    b = await make_node("b", url)
    states: list[LeaseState] = []
    lease = await origin.acquire("r", on_state=lambda _l, s: states.append(s))
    assert lease is not None
    await lease.mirror({1: MemberEntry("origin", b"host")})

    own_redis.kill()
    await eventually(lambda: not origin.health().ok, what="degraded")
    assert origin.health().describe().startswith("degraded: redis unreachable since ")
    # While its lease lasts the origin still acts (the write is unsent: the
    # other nodes resync later); once its time is up it stops.
    await eventually(lambda: states == [LeaseState.SUSPENDED], timeout=LEASE_TTL + 1)
    assert not lease.active
    with pytest.raises(Fenced):
        await lease.publish(1, b"while suspended")
    # Changes made meanwhile are kept here and written when Redis is back.
    assert await lease.mirror({2: MemberEntry("origin", b"joined meanwhile")}) is Outcome.UNSENT
    with pytest.raises(Unavailable, match="redis is unreachable"):
        await b.forward("r", b"hello", timeout=0.3)
    with pytest.raises(Unavailable):
        await b.acquire("r")
    assert all_running(origin, b)

    own_redis.restart()
    await eventually(lambda: states == [LeaseState.SUSPENDED, LeaseState.ACTIVE], what="back")
    # The renewal thread may bring the lease back before the supervisor the link.
    await eventually(lambda: origin.link.reconnects >= 1, what="the link back")
    assert lease.active and origin.health().ok
    members = {1: MemberEntry("origin", b"host"), 2: MemberEntry("origin", b"joined meanwhile")}
    await until(
        lambda: b.restore("r"),
        lambda v: v is not None and v.members == members,
        what="the mirror written again with what changed meanwhile",
    )
    assert await lease.publish(1, b"after") is Outcome.DONE


async def test_a_hung_redis_is_found_by_timeouts_and_survived(
    make_node: MakeNode, own_redis: RedisServer
) -> None:
    url = own_redis.url()
    origin = await make_node("origin", url)
    b = await make_node("b", url)
    seen = Recorder()
    await b.subscribe("r", seen)
    lease = await origin.acquire("r")
    assert lease is not None
    own_redis.pause()
    try:
        await eventually(lambda: not origin.health().ok and not b.health().ok, timeout=5)
        assert all_running(origin, b)
    finally:
        own_redis.resume()
    await eventually(lambda: origin.health().ok and b.health().ok, timeout=5)
    await eventually(lambda: lease.active, timeout=5, what="the lease back")
    await eventually(lambda: b.subscriber.confirmed(b.keys.room("r").events), timeout=5)
    assert await lease.publish(1, b"after") is Outcome.DONE
    await eventually(lambda: seen.seqs() == [1])


async def test_a_node_started_without_redis_starts_degraded_and_joins_later(
    make_node: MakeNode, own_redis: RedisServer
) -> None:
    url = own_redis.url()
    own_redis.kill()
    late = await make_node("late", url)
    assert not late.health().ok
    with pytest.raises(Unavailable):
        await late.nodes()
    own_redis.restart()
    await eventually(lambda: late.health().ok, timeout=5)
    await until(late.nodes, lambda ns: [n.name for n in ns] == ["late"], what="registered")
    assert await late.acquire("r") is not None
