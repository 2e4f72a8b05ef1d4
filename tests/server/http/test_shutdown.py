"""A stopping server closes every WebSocket at once: clients that never
answer the close do not hold the shutdown, and the others are told why."""

from typing import Any

import aiohttp

from app.protocol import PROTOCOL_VERSION
from app.server.app import start_server
from app.server.http.routes import CLOSE_WAIT
from tests.server.http.conftest import config_for
from tests.support.closing import closed_within

SILENT = 4
PASSWORD = "long enough pw"


async def ask(ws: aiohttp.ClientWebSocketResponse, request: dict[str, Any]) -> dict[str, Any]:
    await ws.send_json(request)
    while True:
        reply: dict[str, Any] = await ws.receive_json(timeout=10)
        if reply.get("id") == request["id"]:
            return reply


async def signed_in(http: aiohttp.ClientSession, url: str, name: str) -> Any:
    # autoclose off: aiohttp's client then answers a close only from receive().
    ws = await http.ws_connect(url, autoclose=False)
    await ask(ws, {"type": "hello", "id": 1, "protocol": PROTOCOL_VERSION})
    reply = await ask(ws, {"type": "register", "id": 2, "username": name, "password": PASSWORD})
    assert reply["type"] == "ok", reply
    return ws


async def test_clients_that_never_answer_the_close_do_not_hold_the_shutdown(
    sqlite_url: str,
) -> None:
    # One join every 20 s: the silent clients' joins wait in the gate, so
    # their handlers are busy (not reading) when the server stops.
    config = config_for(sqlite_url, join_rate=0.05, join_burst=1, join_max_wait=120.0)
    server = await start_server(config)
    async with aiohttp.ClientSession() as http:
        owner = await signed_in(http, server.url, "owner")
        created = await ask(owner, {"type": "create_room", "id": 3, "title": "Busy"})
        room_id = created["data"]["room"]["room_id"]
        silent = [await signed_in(http, server.url, f"silent{i}") for i in range(SILENT)]
        for ws in silent:
            await ws.send_json({"type": "join_room", "id": 3, "room_id": room_id})
        # Waited for one by one, each silent client held the stop for
        # aiohttp's 10 s close timeout: 40 s here.
        await closed_within(server.stop(), SILENT * 10 - 2 * CLOSE_WAIT, "the server")
        while (closing := await owner.receive(timeout=10)).type is aiohttp.WSMsgType.TEXT:
            pass
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == aiohttp.WSCloseCode.GOING_AWAY
        assert closing.extra == "server shutting down"
        for ws in silent:
            await ws.close()
        await owner.close()
