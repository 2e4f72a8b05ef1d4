"""The stage goes first: with the audience's requests queued in thousands, a
host's request is answered before them (deterministic: asyncio runs ready
tasks in order, so without the lane every earlier join would go first);
every join still gets in, in order; the lane's budget is the audience's own
time, not the loop's."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from aiohttp import web

from app.protocol.requests import CreateRoom
from app.server.accounts import Accounts
from app.server.admission import JoinGate
from app.server.http.connection import Connection
from app.server.http.lane import AudienceLane
from app.server.http.ratelimit import RateLimitConfig, RateLimits
from app.server.http.session import Dispatcher
from app.server.hub import RoomHub
from app.server.rooms import Actor, Room
from app.server.store.sql import open_store


class Socket:
    closed = False


def connection(user_id: int) -> Connection:
    conn = Connection(cast(web.WebSocketResponse, Socket()))
    conn.user_id, conn.username, conn.greeted = user_id, f"u{user_id}", True
    return conn


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[tuple[RoomHub, Connection, str]]:
    store = await open_store(f"sqlite:///{tmp_path / 'lane.db'}")
    hub = RoomHub(store, time.time, 30.0, "127.0.0.1:1", gate=JoinGate(rate=1e9, burst=10**9))
    host = connection(1)
    snap = await hub.create(host, Actor(1, "u1"), CreateRoom(title="Stage first"))
    yield hub, host, snap.room_id
    await store.close()


def frame(kind: str, **fields: object) -> bytes:
    return json.dumps({"type": kind, "id": 1, **fields}).encode()


@pytest.mark.parametrize("lane", [True, False])
async def test_the_hosts_request_is_answered_before_queued_audience_joins(
    room: tuple[RoomHub, Connection, str], lane: bool
) -> None:
    hub, host, room_id = room
    accounts = cast(Accounts, None)  # nobody signs in here
    # A budget of 0: every audience request queues, as in a storm.
    lanes = AudienceLane(slice_seconds=0.0, share=0.0) if lane else None
    dispatcher = Dispatcher(accounts, hub, RateLimits(RateLimitConfig()), lanes)
    if not lane:
        dispatcher.lane = AudienceLane(slice_seconds=1e9)  # never queues: the old way
    joins = [
        asyncio.create_task(
            dispatcher.on_frame(connection(100 + i), frame("join_room", room_id=room_id))
        )
        for i in range(500)
    ]
    # Read in the same loop iteration, after all of them.
    topic = asyncio.create_task(dispatcher.on_frame(host, frame("set_topic", topic="first")))
    reply = await topic
    assert json.loads(reply)["type"] == "ok"
    answered = sum(task.done() for task in joins)
    if lane:
        assert answered == 0 and dispatcher.lane.waiting > 400
    else:
        assert answered == 500
    replies = [json.loads(await task) for task in joins]
    assert all(r["type"] == "ok" for r in replies)
    assert hub.room_count == 1 and len(held(hub, room_id).present) == 500


async def test_the_lane_lets_everyone_through_in_order_in_batches() -> None:
    lane = AudienceLane(slice_seconds=0.0, share=0.0)
    order: list[int] = []

    async def audience(i: int) -> None:
        mark = await lane.turn()
        started = time.perf_counter()
        order.append(i)
        lane.charge(mark, started)

    tasks = [asyncio.create_task(audience(i)) for i in range(1000)]
    tasks[10].cancel()  # a connection closed while waiting
    iterations = 0
    while not all(t.done() for t in tasks):
        await asyncio.sleep(0)
        iterations += 1
    assert order == [i for i in range(1000) if i != 10]
    assert iterations <= 1000 + 10  # at least one a loop iteration, whatever the slice


class Clock:
    """The lane's clock, moved by the test: audience work and other work take
    exactly what the test says, however busy the machine."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def audience_and_other_work(
    lane: AudienceLane, clock: Clock, cost: float, other: float, count: int
) -> tuple[list[int], list[int]]:
    """`count` audience requests of `cost` seconds each, queued at once, while
    every loop iteration also holds `other` seconds of other work (a fan-out
    step, reads): the order they ran in and how many ran per iteration."""
    ran: list[int] = []

    async def audience(i: int) -> None:
        mark = await lane.turn()
        started = lane.now()
        clock.now += cost
        ran.append(i)
        lane.charge(mark, started)

    tasks = [asyncio.create_task(audience(i)) for i in range(count)]
    per_iteration: list[int] = []
    while not all(t.done() for t in tasks):
        before = len(ran)
        await asyncio.sleep(0)
        clock.now += other
        per_iteration.append(len(ran) - before)
    return ran, [n for n in per_iteration if n]


async def test_batches_are_sized_by_the_audiences_own_time() -> None:
    # A budget of 1 ms of audience time an iteration, nothing by share: each
    # request costing 0.2 ms, 5 go through per iteration, however long the
    # iteration (the lane before this one halved its batch when iterations
    # were long, whatever made them so).
    clock = Clock()
    lane = AudienceLane(slice_seconds=0.001, share=0.0, clock=clock)
    ran, batches = await audience_and_other_work(lane, clock, 0.0002, 0.03, 200)
    assert ran == list(range(200))
    assert lane.estimate == pytest.approx(0.0002)
    # (10 while the first estimate, 0.1 ms, holds)
    assert max(batches) <= 10 and sorted(batches)[len(batches) // 2] == 5


async def test_a_long_iteration_earns_the_audience_a_share_of_wall_time() -> None:
    # 30 ms of other work an iteration: with half the wall time its share,
    # the audience gets about as much (30 ms, 150 requests) after each one,
    # not a fixed batch, so its throughput no longer follows the iteration rate.
    clock = Clock()
    lane = AudienceLane(slice_seconds=0.001, share=0.5, cap=0.05, clock=clock)
    ran, batches = await audience_and_other_work(lane, clock, 0.0002, 0.03, 3000)
    assert ran == list(range(3000))
    steady = sorted(batches[3:-3])
    assert 120 <= steady[len(steady) // 2] <= 160  # 150: half of each iteration's time
    assert max(batches) <= 0.05 / 0.0002 + 1  # never past the cap
    # The stage's share is kept: other work held about half of all the time.
    assert 0.4 <= 0.03 * len(batches) / clock.now <= 0.6


async def test_a_request_that_waited_is_not_charged_its_wait() -> None:
    lane = AudienceLane()
    mark = await lane.turn()
    started = time.perf_counter()
    await asyncio.sleep(0.05)  # a join waiting its turn at the gate
    lane.charge(mark, started)
    assert lane.estimate < 0.001


def held(hub: RoomHub, room_id: str) -> Room:
    room = hub.local_room(room_id)
    assert room is not None
    return room
