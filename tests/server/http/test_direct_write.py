"""Frames written at once and frames queued for the writer reach the client
in the order delivered (real aiohttp server and client on 127.0.0.1)."""

import asyncio

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from app.server.http.connection import Connection

# Big enough to fill the kernel's socket buffers, so that frames queue.
SIZE, MOST = 8192, 5000
AFTER = 200


async def test_direct_and_queued_frames_arrive_in_order() -> None:
    seen: dict[str, int] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = Connection(ws)
        conn.write_directly()
        writer = asyncio.get_running_loop().create_task(conn.run_writer())
        conn.deliver(b"0".ljust(SIZE, b" "))
        seen["queued after the first"] = conn.queued_bytes  # written at once
        sent = 1
        while conn.queued_bytes == 0 and sent < MOST:
            conn.deliver(str(sent).encode().ljust(SIZE, b" "))
            sent += 1
        # The socket is full: the rest queue for the writer, behind what was written.
        for _ in range(AFTER):
            conn.deliver(str(sent).encode().ljust(SIZE, b" "))
            sent += 1
        seen["queued after all"] = conn.queued_bytes
        seen["sent"] = sent
        conn.close_soon()
        await writer
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(server.make_url("/ws")) as ws,
        ):
            got = [int(msg.data) async for msg in ws if msg.type is aiohttp.WSMsgType.TEXT]
    finally:
        await server.close()
    assert got == list(range(seen["sent"]))
    assert seen["queued after the first"] == 0
    assert seen["queued after all"] >= AFTER * SIZE


async def test_a_compressed_connection_always_queues() -> None:
    directs: list[bool] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=True)
        await ws.prepare(request)
        conn = Connection(ws)
        conn.write_directly()
        directs.append(conn.writes_directly)
        writer = asyncio.get_running_loop().create_task(conn.run_writer())
        for i in range(50):
            conn.deliver(str(i).encode())
        conn.close_soon()
        await writer
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(server.make_url("/ws"), compress=15) as ws,
        ):
            got = [int(msg.data) async for msg in ws if msg.type is aiohttp.WSMsgType.TEXT]
    finally:
        await server.close()
    assert got == list(range(50)) and directs == [False]
