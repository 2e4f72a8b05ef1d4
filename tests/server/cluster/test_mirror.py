"""The volatile mirror, the directory and the node registry, as other nodes read them."""

import asyncio

from app.server.cluster import Holder, MemberEntry
from tests.server.cluster.conftest import MakeNode, NodeProcessFactory


async def test_the_mirror_holds_members_where_they_are_and_counts_per_node(
    make_node: MakeNode,
) -> None:
    origin = await make_node("origin")
    reader = await make_node("reader")
    lease = await origin.acquire("r")
    assert lease is not None
    await lease.mirror(
        {
            1: MemberEntry("n1", b"host"),
            2: MemberEntry("n1", b"speaker, hand down"),
            3: MemberEntry("n2", b"listener, hand up"),
            4: MemberEntry(None, b"in grace"),
        },
        state=b"hand queue: 3",
    )
    for seq in (1, 2, 3):
        lease.publish(seq, b"x")
    # 2 moves to n2; 3 leaves; 1 changes.
    await lease.mirror(
        {2: MemberEntry("n2", b"speaker"), 1: MemberEntry("n1", b"host, muted")}, [3]
    )
    volatile = await reader.restore("r")
    assert volatile is not None
    assert volatile.seq == 3 and volatile.epoch == lease.epoch
    assert volatile.members == {
        1: MemberEntry("n1", b"host, muted"),
        2: MemberEntry("n2", b"speaker"),
        4: MemberEntry(None, b"in grace"),
    }
    assert volatile.counts == {"n1": 1, "n2": 1}
    assert volatile.state == b"hand queue: 3"


async def test_a_big_room_is_mirrored_in_chunks_and_read_back_whole(make_node: MakeNode) -> None:
    origin = await make_node("origin")
    lease = await origin.acquire("r")
    assert lease is not None
    members = {uid: MemberEntry(f"n{uid % 3}", f"m{uid}".encode()) for uid in range(1, 2001)}
    await lease.mirror(members)
    volatile = await origin.restore("r")
    assert volatile is not None and volatile.members == members
    assert volatile.counts == {"n0": 666, "n1": 667, "n2": 667}


async def test_a_room_nobody_mirrored_restores_to_nothing(make_node: MakeNode) -> None:
    node = await make_node("a")
    assert await node.restore("never") is None


async def test_the_directory_lists_every_room_with_its_origin_and_counts(
    make_node: MakeNode,
) -> None:
    a = await make_node("a")
    b = await make_node("b")
    c = await make_node("c")
    ra = await a.acquire("ra")
    rb = await b.acquire("rb")
    assert ra is not None and rb is not None
    await ra.list(b"summary of ra")
    await ra.mirror({1: MemberEntry("a", b""), 2: MemberEntry("b", b""), 3: MemberEntry("b", b"")})
    await rb.list(b"summary of rb")
    listings = {listing.room_id: listing for listing in await c.directory()}
    assert set(listings) == {"ra", "rb"}
    assert listings["ra"].summary == b"summary of ra"
    assert listings["ra"].origin == Holder(a.node_id, ra.epoch)
    assert listings["ra"].counts == {"a": 1, "b": 2} and listings["ra"].members == 3
    assert listings["rb"].origin == Holder(b.node_id, rb.epoch)
    assert listings["rb"].members == 0
    # An ended room leaves the directory and Redis.
    await ra.close()
    assert [listing.room_id for listing in await c.directory()] == ["rb"]
    assert await c.restore("ra") is not None  # the epoch counter stays
    restored = await c.restore("ra")
    assert restored is not None and restored.members == {} and restored.seq == 0
    assert await c.holder("ra") is None


async def test_a_dead_origins_room_is_an_orphan_until_taken_over(
    make_node: MakeNode, node_process: NodeProcessFactory
) -> None:
    a = await node_process("a")
    await a.send(op="acquire", room="r")
    epoch = (await a.expect("acquired", room="r"))["epoch"]
    await a.send(op="list", room="r", summary="the room, by a")
    await a.expect("listed", room="r", outcome="done")
    b = await make_node("b")
    [listing] = await b.directory()
    assert listing.origin == Holder(a.node_id, epoch) and listing.summary == b"the room, by a"
    assert await b.orphans() == []
    await a.kill()
    deadline = asyncio.get_running_loop().time() + 5
    while await b.orphans() != ["r"]:
        assert asyncio.get_running_loop().time() < deadline, "the dead origin's room stayed held"
        await asyncio.sleep(0.05)
    lease = await b.acquire("r")
    assert lease is not None
    await lease.list(b"the room, by b")
    assert await b.orphans() == []
    [listing] = await b.directory()
    assert listing.origin == Holder(b.node_id, epoch + 1) and listing.summary == b"the room, by b"


async def test_the_registry_lists_live_nodes_and_drops_dead_ones(
    make_node: MakeNode, node_process: NodeProcessFactory
) -> None:
    a = await make_node("a")
    b = await make_node("b")
    lease = await a.acquire("r")
    assert lease is not None
    p = await node_process("p")

    async def names() -> list[str]:
        return sorted(n.name for n in await b.nodes())

    assert await names() == ["a", "b", "p"]
    info = {n.name: n for n in await b.nodes()}
    assert info["a"].url == "ws://a.test:8765/ws" and info["a"].node_id == a.node_id
    await a.keeper.renew_all()
    await a.beat()
    assert {n.name: n.rooms for n in await b.nodes()}["a"] == 1
    await p.kill()  # no goodbye: it drops out when its heartbeat runs out
    deadline = asyncio.get_running_loop().time() + 3
    while "p" in await names():
        assert asyncio.get_running_loop().time() < deadline, "a dead node stayed listed"
        await asyncio.sleep(0.1)
    await a.close()  # a goodbye: gone at once
    assert await names() == ["b"]
