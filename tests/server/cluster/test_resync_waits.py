"""A client's resync while its room is between origins: the room answers
`unavailable` for a moment, and the client asks again instead of giving up
following the room (its event pump ended on the refusal)."""

import asyncio
import contextlib

import pytest

from app.client.session import CLOSE_TIMEOUT, RoomClient
from app.protocol.requests import SetTopic
from tests.server.cluster.conftest import FAST
from tests.server.cluster.test_nodes import StartNode, member, start_node
from tests.support.redis import RedisServer

__all__ = ["start_node"]
pytestmark = pytest.mark.postgres


async def test_a_resync_answered_unavailable_is_asked_again(
    start_node: StartNode, own_redis: RedisServer
) -> None:
    a = await start_node("a", cluster_url=own_redis.url())
    b = await start_node("b", cluster_url=own_redis.url())
    clients: list[RoomClient] = []
    try:
        ayu = await member(a, "ayu", clients)
        budi = await member(b, "budi", clients)
        rid = (await ayu.client.create_room("Between origins")).room_id
        model = await budi.client.join(rid)

        # b cannot reach the origin: past its forward timeout its sync is
        # answered `unavailable`.
        own_redis.kill()
        resync = asyncio.create_task(budi.client.resync(model))
        await asyncio.sleep(FAST["forward_timeout"] + 1.5)
        assert not resync.done(), resync
        own_redis.restart()
        await asyncio.wait_for(resync, 25)
        # It follows the room again: a change made now reaches it.
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            try:
                await ayu.client.request(SetTopic(topic="still here"))
                break
            except Exception:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.2)
        await budi.until(lambda m: m.snapshot.topic == "still here")
    finally:
        for client in clients:
            await client.close()


async def test_closing_during_a_resync_does_not_wait_for_the_busy_server(
    start_node: StartNode, own_redis: RedisServer
) -> None:
    """The node is busy with the client's forwarded sync (up to its forward
    timeout) and reads the client's close frame only after: the close must
    not wait for that (aiohttp's close handshake waited 10 s by default)."""
    a = await start_node("a", cluster_url=own_redis.url())
    b = await start_node("b", cluster_url=own_redis.url())
    clients: list[RoomClient] = []
    try:
        ayu = await member(a, "ayu", clients)
        budi = await member(b, "budi", clients)
        rid = (await ayu.client.create_room("Closing mid-resync")).room_id
        model = await budi.client.join(rid)
        own_redis.kill()
        resync = asyncio.create_task(budi.client.resync(model))
        await asyncio.sleep(0.3)  # the sync is with the node now
        loop = asyncio.get_running_loop()
        started = loop.time()
        await budi.client.close()
        took = loop.time() - started
        assert took < CLOSE_TIMEOUT + 1.5 < FAST["forward_timeout"], took
        with contextlib.suppress(Exception):  # cut short by the close
            await asyncio.wait_for(resync, 5)
    finally:
        for client in clients:
            await client.close()
