"""Requests forwarded to the room's origin: replies, failures, retries, takeovers."""

import asyncio
import json
import time

import pytest

from app.server.cluster import ClusterNode, RemoteError, RequestHandler, Unavailable
from tests.server.cluster.conftest import MakeNode, NodeProcessFactory


def echo(node: ClusterNode, calls: list[str] | None = None, delay: float = 0.0) -> RequestHandler:
    async def handle(room_id: str, sender: str, body: bytes) -> bytes:
        if calls is not None:
            calls.append(body.decode())
        await asyncio.sleep(delay)
        if body == b"fail":
            raise ValueError("the origin could not do that")
        return f"{node.config.name}:{room_id}:{sender}:{body.decode()}".encode()

    return handle


async def test_a_request_is_answered_by_the_origin(make_node: MakeNode) -> None:
    origin = await make_node("origin")
    b = await make_node("b")
    origin.serve(echo(origin))
    b.serve(echo(b))
    assert await origin.acquire("r") is not None
    assert await b.forward("r", b"raise hand") == f"origin:r:{b.node_id}:raise hand".encode()
    # Many at once from one node, each to its own reply.
    replies = await asyncio.gather(*(b.forward("r", f"req {i}".encode()) for i in range(50)))
    assert replies == [f"origin:r:{b.node_id}:req {i}".encode() for i in range(50)]
    # The origin forwarding to itself is a local call.
    assert await origin.forward("r", b"mine") == f"origin:r:{origin.node_id}:mine".encode()
    assert origin.requests_handled == 51


async def test_a_burst_beyond_the_connection_pool_waits_and_is_all_answered(
    make_node: MakeNode,
) -> None:
    """A join storm forwards hundreds of requests at once: more than the link's
    Redis connections. They wait for a connection; none fails and Redis is not
    taken to be away (redis-py's default pool refused the 101st at once)."""
    origin = await make_node("origin")
    b = await make_node("b")
    origin.serve(echo(origin, delay=0.05))
    assert await origin.acquire("r") is not None
    many = 400
    replies = await asyncio.gather(*(b.forward("r", f"join {i}".encode()) for i in range(many)))
    assert replies == [f"origin:r:{b.node_id}:join {i}".encode() for i in range(many)]
    # And as many commands at once on one link (a forward's first step reads the lease).
    holders = await asyncio.gather(*(b.holder("r") for _ in range(many)))
    assert all(h is not None and h.node_id == origin.node_id for h in holders)
    assert b.health().ok and origin.health().ok


async def test_a_failing_handler_is_a_remote_error_and_the_origin_goes_on(
    make_node: MakeNode,
) -> None:
    origin = await make_node("origin")
    b = await make_node("b")
    origin.serve(echo(origin))
    assert await origin.acquire("r") is not None
    with pytest.raises(RemoteError, match="ValueError: the origin could not do that"):
        await b.forward("r", b"fail")
    assert await b.forward("r", b"after") == f"origin:r:{b.node_id}:after".encode()


async def test_no_origin_is_a_clear_unavailable_after_the_timeout(make_node: MakeNode) -> None:
    b = await make_node("b")
    started = time.monotonic()
    with pytest.raises(Unavailable, match="room r is unavailable: no node holds the room"):
        await b.forward("r", b"hello", timeout=0.5)
    assert 0.45 < time.monotonic() - started < 2.0


async def test_a_retried_request_is_handled_once(make_node: MakeNode) -> None:
    """The origin is slower than one attempt: the sender asks again with the
    same id, and the origin answers from what it is already doing."""
    origin = await make_node("origin")
    b = await make_node("b", attempt_timeout=0.1)
    calls: list[str] = []
    origin.serve(echo(origin, calls, delay=0.45))
    assert await origin.acquire("r") is not None
    assert await b.forward("r", b"slow") == f"origin:r:{b.node_id}:slow".encode()
    assert calls == ["slow"]
    assert b.forwards_sent >= 3  # it did ask again


async def test_a_request_to_an_origin_killed_mid_request_is_answered_by_the_next(
    make_node: MakeNode, node_process: NodeProcessFactory
) -> None:
    a = await node_process("a")
    await a.send(op="delay", seconds=5)
    await a.expect("delay")
    await a.send(op="acquire", room="r")
    old_epoch = (await a.expect("acquired", room="r"))["epoch"]
    b = await make_node("b")
    c = await make_node("c")
    b.serve(echo(b))
    request = asyncio.get_running_loop().create_task(c.forward("r", b"invite 7", timeout=10))
    await a.expect("handling", body="invite 7")
    await a.kill()  # mid-request: it never answers
    # b takes the room over once a's lease has run out, as a node would.
    taken = None
    while taken is None:
        taken = await b.acquire("r")
        await asyncio.sleep(0.05)
    assert taken.epoch == old_epoch + 1
    assert await request == f"b:r:{c.node_id}:invite 7".encode()


async def test_a_request_to_a_dead_origin_nobody_took_over_fails_clearly(
    make_node: MakeNode, node_process: NodeProcessFactory
) -> None:
    a = await node_process("a")
    await a.send(op="acquire", room="r")
    await a.expect("acquired", room="r")
    c = await make_node("c")
    await a.kill()
    with pytest.raises(Unavailable, match=f"its origin {a.node_id} is gone|no node holds"):
        await c.forward("r", b"hello", timeout=0.4)


async def test_a_request_reaches_a_process_origin(
    make_node: MakeNode, node_process: NodeProcessFactory
) -> None:
    a = await node_process("a")
    await a.send(op="acquire", room="r")
    epoch = (await a.expect("acquired", room="r"))["epoch"]
    c = await make_node("c")
    reply = json.loads(await c.forward("r", b"mute 3"))
    assert reply == {"node": "a", "epoch": epoch, "body": "mute 3"}
