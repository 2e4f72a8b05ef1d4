"""The Cluster contract, the same for a node on Redis and for the solo process:
what the hub may count on whichever it is given."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.server.cluster import (
    Cluster,
    Holder,
    Lease,
    LeaseState,
    MemberEntry,
    Outcome,
    SoloCluster,
    Unavailable,
)
from tests.server.cluster.conftest import MakeNode


@pytest.fixture(params=["solo", "redis"])
async def cluster(request: pytest.FixtureRequest, make_node: MakeNode) -> AsyncIterator[Cluster]:
    if request.param == "solo":
        solo = SoloCluster(url="ws://127.0.0.1:8765/ws")
        await solo.start()
        yield solo
        await solo.close()
    else:
        yield await make_node("only")


def state_of(lease: Lease) -> LeaseState:
    return lease.state  # read again: mypy would keep the value asserted before


async def handler(room_id: str, sender: str, body: bytes) -> bytes:
    return f"{room_id}:{body.decode()}".encode()


async def test_a_room_is_held_listed_served_and_closed(cluster: Cluster) -> None:
    cluster.serve(handler)
    assert cluster.health().ok and cluster.health().describe() == "ok"
    lease = await cluster.acquire("r")
    assert lease is not None and lease.active and lease.state is LeaseState.ACTIVE
    assert cluster.lease("r") is lease
    assert await cluster.acquire("r") is lease  # asking again is harmless
    assert await cluster.holder("r") == Holder(cluster.node_id, lease.epoch)
    left = await cluster.lease_left("r")  # Redis: at most a lease; one process: forever
    assert left is not None and left > 0 and await cluster.lease_left("x") is None
    assert await lease.publish(1, b"event") is Outcome.DONE
    members = {1: MemberEntry(cluster.node_id, b"host"), 2: MemberEntry(None, b"away")}
    assert await lease.mirror(members) is Outcome.DONE
    assert await lease.list(b"summary") is Outcome.DONE
    [listing] = await cluster.directory()
    assert listing.room_id == "r" and listing.summary == b"summary"
    assert listing.origin == Holder(cluster.node_id, lease.epoch)
    assert listing.counts == {cluster.node_id: 1}
    assert await cluster.orphans() == []
    assert await cluster.forward("r", b"hello") == b"r:hello"
    # The registry follows at the node's next heartbeat.
    deadline = asyncio.get_running_loop().time() + 3
    while [(n.node_id, n.rooms) for n in await cluster.nodes()] != [(cluster.node_id, 1)]:
        assert asyncio.get_running_loop().time() < deadline, await cluster.nodes()
        await asyncio.sleep(0.05)
    await lease.close()
    assert state_of(lease) is LeaseState.RELEASED and not lease.active
    assert cluster.lease("r") is None and await cluster.holder("r") is None
    assert await cluster.lease_left("r") is None
    assert await cluster.directory() == []
    with pytest.raises(Unavailable, match="no node holds the room"):
        await cluster.forward("r", b"hello", timeout=0.2)


async def test_a_released_room_is_taken_again_with_a_higher_epoch(cluster: Cluster) -> None:
    first = await cluster.acquire("r")
    assert first is not None
    await first.release()
    second = await cluster.acquire("r", floor=10)
    assert second is not None and second.epoch == 11
