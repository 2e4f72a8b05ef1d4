"""The server times its own requests: each reply from its frame's handling to
its writing, by lane and type, reported by /healthz and started afresh on
request; and how late the loop runs. Counts and lower bounds only: a reply
held back is timed no shorter than it was held."""

import asyncio
import time
from typing import cast

import aiohttp
import pytest
from aiohttp import WSMsgType, web

from app.client.connection import RequestFailed
from app.client.session import RoomClient
from app.protocol.replies import RoomState
from app.protocol.requests import JoinRoom, SetTopic, Sync
from app.server.app import RunningServer, start_server
from app.server.http.connection import Connection
from app.server.http.timing import LoopLag, RequestTimes

from .conftest import PASSWORD, ClientFactory, config_for


async def timings(server: RunningServer) -> dict[str, object]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.http_url}/healthz") as reply,
    ):
        health = await reply.json()
    result: dict[str, object] = health["timings"]
    return result


async def test_requests_are_counted_by_lane_and_type(
    server: RunningServer, make_client: ClientFactory
) -> None:
    host = await make_client("ayu")
    guest = await make_client("budi")
    room = await host.create_room("Timed")
    await guest.join(room.room_id)
    server.reset_timings()  # what came before (hello, sign-in, create) is gone
    for i in range(3):
        await host.request(SetTopic(topic=f"t{i}"))
    await guest.conn.call_for(Sync(), RoomState)
    report = await timings(server)
    requests = cast(dict[str, dict[str, float]], report["requests"])
    assert set(requests) == {"stage:set_topic", "audience:sync"}
    assert requests["stage:set_topic"]["n"] == 3
    assert requests["audience:sync"]["n"] == 1
    lanes = cast(dict[str, dict[str, float]], report["lanes"])
    assert lanes["stage"]["n"] == 3 and lanes["audience"]["n"] == 1
    for figures in requests.values():
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]


class HeldSocket:
    """A WebSocket whose frames go out only when the test lets them."""

    closed = False

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.sent: list[bytes] = []

    async def send_frame(self, frame: bytes, _kind: WSMsgType) -> None:
        await self.go.wait()
        self.sent.append(frame)

    async def close(self, code: int) -> None:
        self.closed = True


async def test_a_reply_queued_behind_frames_is_timed_when_it_is_written() -> None:
    times = RequestTimes()
    socket = HeldSocket()
    conn = Connection(cast(web.WebSocketResponse, socket), times=times)
    writer = asyncio.get_running_loop().create_task(conn.run_writer())
    conn.deliver(b"an event before the reply")
    conn.request_key = "audience:join_room"
    conn.reply(b"the reply", time.monotonic())
    await asyncio.sleep(0.05)  # the socket holds the event; the reply waits behind it
    assert times.report()["requests"] == {}  # not written: not timed yet
    socket.go.set()
    conn.close_soon()
    await writer
    assert socket.sent == [b"an event before the reply", b"the reply"]
    requests = cast(dict[str, dict[str, float]], times.report()["requests"])
    assert requests["audience:join_room"]["n"] == 1
    assert requests["audience:join_room"]["max_ms"] >= 50 * 0.99  # 2 digits of precision


async def test_the_loop_lag_sees_a_stopped_loop() -> None:
    lag = LoopLag(interval=0.01)
    task = asyncio.get_running_loop().create_task(lag.run())
    await asyncio.sleep(0.05)
    time.sleep(0.1)  # noqa: ASYNC251 - the loop stops, as under one long callback
    await asyncio.sleep(0.05)
    task.cancel()
    report = lag.report()
    assert report["n"] >= 2
    assert report["max_ms"] >= 0.08 * 1000 * 0.99
    lag.reset()
    assert lag.report()["n"] == 0


async def test_a_join_told_to_come_back_is_timed_apart(sqlite_url: str) -> None:
    # One join a minute, none waits: the second guest is told `busy`.
    config = config_for(sqlite_url, join_rate=1 / 60, join_burst=1, join_max_wait=0.0)
    server = await start_server(config)
    clients = []
    try:
        for name in ("ayu", "budi", "citra"):
            client = RoomClient(server.url, client_name="test", reconnect=False)
            await client.connect()
            await client.register(name, PASSWORD)
            clients.append(client)
        host, first, second = clients
        room = await host.create_room("Busy")
        server.reset_timings()
        await first.join(room.room_id)
        with pytest.raises(RequestFailed) as refused:  # asked once, not retried
            await second.conn.call_for(JoinRoom(room_id=room.room_id), RoomState)
        assert refused.value.code == "busy"
        requests = cast(dict[str, dict[str, float]], (await timings(server))["requests"])
        assert requests["audience:join_room"]["n"] == 1
        assert requests["audience:join_room:busy"]["n"] == 1
    finally:
        for client in clients:
            await client.close()
        await server.stop()
