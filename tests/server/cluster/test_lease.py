"""Room leases on a real Redis: one origin per room, epochs, renewal, takeover, fencing."""

import asyncio
import json
import signal
import time

import pytest

from app.server.cluster import Fenced, Holder, LeaseState, Outcome
from app.server.cluster import scripts as lua
from tests.server.cluster.conftest import (
    LEASE_TTL,
    MakeNode,
    NodeProcessFactory,
    Recorder,
    eventually,
)
from tests.support.redis import RedisServer


async def test_exactly_one_node_wins_each_room_under_contention(make_node: MakeNode) -> None:
    nodes = [await make_node(f"n{i}") for i in range(3)]
    rooms = [f"room{i}" for i in range(20)]
    # Every node asks for every room at the same moment.
    attempts = [(node, room) for room in rooms for node in nodes]
    leases = await asyncio.gather(*(node.acquire(room) for node, room in attempts))
    winners: dict[str, list[str]] = {room: [] for room in rooms}
    for (node, room), lease in zip(attempts, leases, strict=True):
        if lease is not None:
            winners[room].append(node.node_id)
    assert all(len(w) == 1 for w in winners.values()), winners
    for room, [winner] in winners.items():
        holder = await nodes[0].holder(room)
        assert holder is not None and holder.node_id == winner
    # Each node holds exactly the rooms it won, and the others know it.
    for node in nodes:
        mine = {room for room, w in winners.items() if w == [node.node_id]}
        assert {room for room in rooms if node.lease(room) is not None} == mine


async def test_every_acquisition_gets_a_higher_epoch_above_the_floor(make_node: MakeNode) -> None:
    a = await make_node("a")
    b = await make_node("b")
    first = await a.acquire("r")
    assert first is not None and first.epoch == 1
    await first.release()
    assert first.state is LeaseState.RELEASED
    second = await b.acquire("r")
    assert second is not None and second.epoch == 2
    await second.release()
    # The store knows epoch 41 (say, Redis lost its counter): never below it.
    third = await a.acquire("r", floor=41)
    assert third is not None and third.epoch == 42
    assert await b.holder("r") == Holder(a.node_id, 42)


async def test_a_busy_connection_pool_does_not_delay_the_renewals(
    make_node: MakeNode,
) -> None:
    """Every pooled connection busy for well past the lease (a burst of slow
    commands, as a storm is): renewals have their own connection, so the
    lease stays active throughout and nobody else can take the room."""
    from app.server.cluster.link import POOL_SIZE

    a = await make_node("a")
    b = await make_node("b")
    changes: list[LeaseState] = []
    lease = await a.acquire("r", on_state=lambda _, state: changes.append(state))
    assert lease is not None
    until = time.monotonic() + 3 * LEASE_TTL

    async def hog() -> None:  # holds one pooled connection for 0.5 s at a time
        while time.monotonic() < until:
            await a.link.call(lambda client: client.blpop(["nothing:ever"], timeout=0.5))

    hogs = [asyncio.create_task(hog()) for _ in range(POOL_SIZE + 8)]
    states = []
    while time.monotonic() < until:
        states.append(lease.active)
        await asyncio.sleep(0.05)
    await asyncio.gather(*hogs)
    assert all(states) and changes == [] and lease.state is LeaseState.ACTIVE
    assert await b.acquire("r") is None


async def test_renewal_keeps_the_room_well_past_the_lease_time(make_node: MakeNode) -> None:
    a = await make_node("a")
    b = await make_node("b")
    lease = await a.acquire("r")
    assert lease is not None
    await asyncio.sleep(3 * LEASE_TTL)
    assert lease.state is LeaseState.ACTIVE and lease.active
    assert await b.acquire("r") is None
    assert await b.holder("r") == Holder(a.node_id, lease.epoch)


async def test_a_released_room_is_taken_at_once(make_node: MakeNode) -> None:
    a = await make_node("a")
    b = await make_node("b")
    lease = await a.acquire("r")
    assert lease is not None
    await lease.release()
    taken = await b.acquire("r")
    assert taken is not None and taken.epoch == lease.epoch + 1


async def test_a_killed_origin_is_taken_over_after_its_lease_ran_out(
    make_node: MakeNode, node_process: NodeProcessFactory
) -> None:
    a = await node_process("a")
    await a.send(op="acquire", room="r")
    acquired = await a.expect("acquired", room="r")
    b = await make_node("b")
    assert await b.acquire("r") is None
    a_killed = asyncio.get_running_loop().time()
    await a.kill()
    taken = None
    while taken is None:
        taken = await b.acquire("r")
        if taken is None:
            await asyncio.sleep(0.05)
    waited = asyncio.get_running_loop().time() - a_killed
    assert taken.epoch == acquired["epoch"] + 1
    # Not before the lease could have run out, and not much after.
    assert 0.5 * LEASE_TTL < waited < LEASE_TTL + 2.0


async def test_a_paused_origin_loses_the_room_and_is_refused(
    make_node: MakeNode, node_process: NodeProcessFactory, redis_server: RedisServer
) -> None:
    """SIGSTOP the origin past its lease: another node takes the room; the resumed
    node finds out at once, and neither its events nor its answers reach anyone.
    A member's requests keep coming the whole time: never two origins answer."""
    a = await node_process("a")
    await a.send(op="acquire", room="r")
    old = (await a.expect("acquired", room="r"))["epoch"]
    b = await make_node("b")
    member_node = await make_node("member")
    seen = Recorder()
    await member_node.subscribe("r", seen)

    async def b_handles(room_id: str, sender: str, body: bytes) -> bytes:
        lease = b.lease(room_id)
        return json.dumps({"node": "b", "epoch": lease.epoch if lease else -1}).encode()

    b.serve(b_handles)
    answers: list[tuple[str, int]] = []
    stop = asyncio.Event()

    async def member_requests() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            reply = json.loads(await member_node.forward("r", f"req {n}".encode(), timeout=10))
            answers.append((reply["node"], reply["epoch"]))

    requests = asyncio.get_running_loop().create_task(member_requests())
    await a.send(op="publish", room="r", seq=1, frame="from a")
    await a.expect("published", seq=1, outcome="done")
    await eventually(lambda: seen.seqs() == [1], what="a's event")
    await eventually(lambda: len(answers) >= 3, what="a's answers")

    a.signal(signal.SIGSTOP)
    paused = len(answers)
    taken = None
    while taken is None:
        taken = await b.acquire("r")
        await asyncio.sleep(0.05)
    assert taken.epoch > old
    await eventually(lambda: len(answers) > paused + 3, what="b's answers")
    # Queued while paused: the first thing the node does when it resumes.
    await a.send(op="publish", room="r", seq=2, frame="from a, after losing")
    resumed_at = time.monotonic()
    a.signal(signal.SIGCONT)
    refused = await a.expect("refused", seq=2)
    assert "lease" in refused["error"]
    # It knew it was no longer the origin without being told: suspended at its
    # deadline, lost once it saw b's token.
    await a.expect("state", room="r", state="lost", timeout=5)
    await asyncio.sleep(0.5)
    stop.set()
    await requests
    # Requests that reached a while it was stopped were not taken up on waking.
    # (One already being handled when the signal came may finish: its reply is
    # fenced, and the answers below show it reached no one.)
    await a.send(op="delay", seconds=0)
    await a.expect("delay")  # everything a printed before this has been read
    late = [line for line in a.lines if line["op"] == "handling" and line["t"] > resumed_at]
    assert late == []
    await taken.publish(2, b"from b")
    await eventually(lambda: seen.seqs() == [1, 2], what="b's event")
    await asyncio.sleep(0.3)
    assert [frame for _, _, frame in seen.events] == [b"from a", b"from b"]
    assert redis_server.command("GET", b.keys.room("r").seq) == "2"
    # Every answer came from the origin of its time, and once b had answered,
    # only from b: never two origins accepting.
    first_b = answers.index(("b", taken.epoch))
    assert set(answers[:first_b]) == {("a", old)}
    assert set(answers[first_b:]) == {("b", taken.epoch)}


async def test_redis_refuses_a_stale_origin_that_believes_it_still_holds_the_room(
    make_node: MakeNode,
) -> None:
    """The scripts' own check: an origin whose clock says its lease is valid
    (a clock running slow, or paused between its check and its write) is
    refused by Redis, and told so."""
    a = await make_node("a")
    b = await make_node("b")
    watcher = await make_node("watcher")
    seen = Recorder()
    await watcher.subscribe("r", seen)
    states: list[LeaseState] = []
    lease = await a.acquire("r", on_state=lambda _lease, state: states.append(state))
    assert lease is not None
    # a stops renewing and its clock stops: it will believe it is the origin.
    a.keeper.renewer.stop()
    frozen = a.keeper.now()
    a.keeper.now = lambda: frozen  # type: ignore[method-assign]
    taken = None
    while taken is None:
        taken = await b.acquire("r")
        await asyncio.sleep(0.05)
    assert lease.active  # what a believes
    publish = lease.publish(7, b"stale")
    mirror = lease.mirror(state=b"stale state")
    listing = lease.list(b"stale listing")
    for write in (publish, mirror, listing):
        try:
            await write
        except Fenced:
            continue
        raise AssertionError("a stale origin's write was accepted")
    assert states == [LeaseState.LOST] and lease.state is LeaseState.LOST
    assert not lease.active
    await asyncio.sleep(0.2)
    assert seen.events == []
    volatile = await b.restore("r")
    assert volatile is not None and volatile.state is None and volatile.seq == 0
    assert await b.directory() == []


async def test_a_node_cut_off_from_redis_suspends_then_learns_it_lost(
    make_node: MakeNode, redis_server: RedisServer
) -> None:
    """A partition: a cannot reach Redis, b can. a stops acting when its lease's
    time is up (before b can take the room), and learns of b once it is back."""
    from tests.support.tcprelay import TcpRelay

    relay = TcpRelay("127.0.0.1", redis_server.port)
    await relay.start()
    try:
        a = await make_node("a", relay.url())
        b = await make_node("b")
        states: list[tuple[LeaseState, float]] = []
        loop = asyncio.get_running_loop()
        lease = await a.acquire("r", on_state=lambda _l, s: states.append((s, loop.time())))
        assert lease is not None
        relay.cut()
        cut_at = loop.time()
        taken = None
        while taken is None:
            taken = await b.acquire("r")
            await asyncio.sleep(0.02)
        taken_at = loop.time()
        # a had stopped acting before b got the room: never two origins at once.
        assert states and states[0][0] is LeaseState.SUSPENDED
        assert states[0][1] <= taken_at
        assert states[0][1] - cut_at < LEASE_TTL + 0.3
        assert not lease.active
        with_lease = lease.publish(5, b"while cut off")
        try:
            await with_lease
            raise AssertionError("a suspended origin published")
        except Fenced:
            pass
        relay.heal()
        await eventually(lambda: lease.state is LeaseState.LOST, what="a to learn it lost")
        assert a.health().ok
        assert await a.holder("r") == Holder(b.node_id, taken.epoch)
    finally:
        await relay.close()


async def test_the_scripts_refuse_a_token_that_is_not_the_lease(make_node: MakeNode) -> None:
    a = await make_node("a")
    lease = await a.acquire("r")
    assert lease is not None
    k = a.keys.room("r")
    stale = f"{a.node_id}:{lease.epoch - 1}"
    client = a.link.client
    assert (
        await lua.run(client, lua.Call(lua.PUBLISH, [k.lease, k.seq], [stale, k.events, 1, b"x"]))
        == -1
    )
    assert await lua.run(client, lua.Call(lua.SEND, [k.lease], [stale, k.rpc, b"x"])) == -1
    assert await lua.run(client, lua.Call(lua.LIST, [k.lease, k.listing], [stale, b"x"])) == -1
    mirror_args: list[lua.Arg] = [stale, "0", 1, 7, "a", b"member", 0, "0"]
    assert await lua.run(client, lua.Call(lua.MIRROR, [k.lease, *k.mirror()], mirror_args)) == -1
    assert await lua.run(client, lua.Call(lua.CLOSE, [k.lease, k.epoch, k.listing], [stale])) == -1
    assert await lua.run(client, lua.Call(lua.RELEASE, [k.lease, k.epoch], [stale])) == 0
    assert await client.exists(k.seq, k.listing, k.members) == 0
    # The real token passes the same checks.
    assert await lease.publish(1, b"x") is Outcome.DONE
    assert await client.get(k.seq) == b"1"


async def test_an_origin_frozen_past_its_lease_stops_before_its_watchdog_runs(
    make_node: MakeNode,
) -> None:
    """The whole process stalls (a long GC, swapping, a blocking call): when it
    runs again, the first thing it does must already see the lease as out."""
    a = await make_node("a")
    lease = await a.acquire("r")
    assert lease is not None and lease.active
    # The whole process: its renewal thread stalls with the loop (a blocked
    # loop alone keeps its lease, test_an_origin_whose_loop_is_blocked…).
    a.keeper.renewer.stop()
    time.sleep(LEASE_TTL)  # noqa: ASYNC251 - the stall itself: no renewal, no watchdog
    assert not lease.active
    with pytest.raises(Fenced):
        await lease.publish(1, b"after the stall")


async def test_a_renewal_that_arrives_after_the_release_does_not_bring_the_lease_back(
    make_node: MakeNode,
) -> None:
    a = await make_node("a")
    lease = await a.acquire("r")
    assert lease is not None
    k = a.keys.room("r")
    await lease.release()
    # The renewal a sent just before releasing, reaching Redis just after.
    late = lua.Call(lua.RENEW, [k.lease, k.epoch], [lease.token, a.node_id, lease.epoch, 1000])
    result = await lua.run(a.link.client, late)
    assert result[0] == 0
    assert await a.link.client.exists(k.lease) == 0


async def test_an_origin_whose_loop_is_blocked_past_its_lease_keeps_the_room(
    make_node: MakeNode, node_process: NodeProcessFactory
) -> None:
    """An overloaded origin: its event loop does not run for 2.5 leases. Its
    renewals and its heartbeat run on their own thread, so it stays the
    origin and a live node throughout (a takeover counts the members of the
    nodes alive), and acts on the room as soon as its loop runs again."""
    a = await node_process("a")
    await a.send(op="acquire", room="r")
    epoch = (await a.expect("acquired", room="r"))["epoch"]
    b = await make_node("b")
    await a.send(op="block", room="r", seconds=2.5 * LEASE_TTL)
    blocked_until = time.monotonic() + 2.5 * LEASE_TTL
    tries = 0
    while time.monotonic() < blocked_until - 0.1:
        assert await b.acquire("r") is None, "the room moved off a live origin"
        assert a.node_id in {node.node_id for node in await b.nodes()}, "dropped as dead"
        tries += 1
        await asyncio.sleep(0.05)
    unblocked = await a.expect("unblocked", timeout=10)
    assert unblocked["active"] and unblocked["state"] == "active"
    assert await b.holder("r") == Holder(a.node_id, epoch)
    assert tries > 10
    await a.send(op="publish", room="r", seq=1, frame="after the stall")
    await a.expect("published", seq=1, outcome="done")
    assert [line for line in a.lines if line["op"] == "state"] == []


async def test_an_origin_whose_loop_stays_wedged_gives_the_room_up(
    make_node: MakeNode, node_process: NodeProcessFactory
) -> None:
    """Past `loop_stall_limit` the renewal thread stops renewing: a process
    whose loop is stuck for good loses its rooms and leaves the live nodes,
    and finds out on waking."""
    a = await node_process("a", stall=1.5 * LEASE_TTL)
    await a.send(op="acquire", room="r")
    epoch = (await a.expect("acquired", room="r"))["epoch"]
    b = await make_node("b")
    await a.send(op="block", room="r", seconds=1.5 * LEASE_TTL + 3.0)
    blocked_at = time.monotonic()
    taken = None
    while taken is None:
        assert time.monotonic() - blocked_at < 1.5 * LEASE_TTL + 2.8, "never moved"
        taken = await b.acquire("r")
        await asyncio.sleep(0.05)
    assert time.monotonic() - blocked_at > 1.5 * LEASE_TTL
    assert taken.epoch == epoch + 1
    assert a.node_id not in {node.node_id for node in await b.nodes()}
    unblocked = await a.expect("unblocked", timeout=10)
    assert not unblocked["active"]
    await a.expect("state", room="r", state="lost", timeout=5)


async def test_a_connection_pool_busy_past_its_wait_is_not_redis_being_away(
    make_node: MakeNode,
) -> None:
    """Every pooled connection busy for longer than a command may wait for
    one: that command fails, but the node is not degraded (it once marked
    the link down, and every other write unsent, for the node's own backlog)."""
    from app.server.cluster.link import POOL_SIZE, RedisDown

    a = await make_node("a", forward_timeout=0.2)
    hogs = [  # each holds a pooled connection for 0.5 s
        asyncio.create_task(a.link.call(lambda c: c.blpop(["nothing:ever"], timeout=0.5)))
        for _ in range(POOL_SIZE)
    ]
    await asyncio.sleep(0.05)
    with pytest.raises(RedisDown, match="busy"):
        await a.link.call(lambda client: client.ping())
    # (The pub/sub connection is the pool's too: a hog or two may have waited too long.)
    await asyncio.gather(*hogs, return_exceptions=True)
    assert a.health().ok and a.link.up
    assert await a.link.call(lambda client: client.ping())
