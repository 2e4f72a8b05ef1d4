"""Scheduled rooms in a cluster: two nodes on one PostgreSQL (and Redis).

Both nodes' timers see the plan come due; the start reminder is queued once
(the version-checked update) and each person's notice goes out through one
node only, the one they are connected to; a host going live on one node is
told to a fan connected to the other.
"""

import asyncio
import contextlib
import time

import pytest

from app.client.scheduling import schedule_room, set_reminder
from app.client.session import RoomClient
from app.server.app import RunningServer
from tests.server.cluster.test_nodes import StartNode, member, start_node

__all__ = ["start_node"]
pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


async def _kinds(client: RoomClient, count: int, timeout: float) -> list[str]:
    enough = asyncio.Event()

    def check(_change: object) -> None:
        if len(client.schedule_notices) >= count:
            enough.set()

    stop = client.changes.subscribe(check)
    check(None)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(enough.wait(), timeout)
    stop()
    return [n.kind for n in client.schedule_notices]


async def _steps(*servers: RunningServer) -> None:
    for server in servers:
        assert server.schedules is not None
        await server.schedules.step()


async def test_a_reminder_fires_once_per_cluster_and_reaches_each_fan_where_they_are(
    start_node: StartNode,
) -> None:
    a = await start_node("a")
    b = await start_node("b")
    clients: list[RoomClient] = []
    try:
        host = (await member(a, "hana", clients)).client
        on_a = (await member(a, "fajar", clients)).client
        on_b = (await member(b, "gita", clients)).client
        planned = await schedule_room(host, "Cluster talk", time.time() + 2.0)
        for fan in (on_a, on_b):
            await set_reminder(fan, planned.schedule_id)
        assert await _kinds(on_a, 1, 20) == ["starting"]
        assert await _kinds(on_b, 1, 20) == ["starting"]
        # Both timers run again, together: nothing more is queued or sent.
        await asyncio.gather(_steps(a), _steps(b))
        await _steps(a, b)
        assert await _kinds(on_a, 2, 1.0) == ["starting"]
        assert await _kinds(on_b, 2, 0.1) == ["starting"]

        live = await host.start_scheduled(planned.schedule_id)
        assert await _kinds(on_b, 2, 20) == ["starting", "live"]
        assert on_b.schedule_notices[1].room.room_id == live.room_id
        assert await _kinds(on_a, 2, 20) == ["starting", "live"]
        await _steps(a, b)
        assert len(on_a.schedule_notices) == len(on_b.schedule_notices) == 2
        # The fan on b joins the live room held by a.
        joined = await on_b.join(live.room_id)
        assert joined.room_id == live.room_id
    finally:
        for client in clients:
            await client.close()
