"""The client connection against a scripted server on 127.0.0.1."""

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from app.client.connection import RequestFailed, ServerConnection
from app.protocol.replies import Welcome
from app.protocol.requests import Hello, ListRooms
from tests.client.scripted_server import serving


async def scripted(request: web.Request) -> web.WebSocketResponse:
    """Answers each request after pushing a message from a future protocol."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for frame in ws:
        rid = json.loads(frame.data)["id"]
        await ws.send_str(json.dumps({"type": "hologram", "seq": 1}))
        event = {"kind": "confetti", "amount": 3}
        await ws.send_str(json.dumps({"type": "event", "room_id": "r", "seq": 9, "event": event}))
        if rid == 1:
            welcome = {"kind": "welcome", "protocol": 1, "server": "s", "max_message_bytes": 9}
            await ws.send_str(json.dumps({"type": "ok", "id": rid, "data": welcome}))
        else:
            error = {"type": "error", "id": rid, "code": "brand_new_code", "message": "m"}
            await ws.send_str(json.dumps(error))
    return ws


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with serving(scripted) as address:
        yield address


async def test_messages_from_a_newer_server_are_skipped_not_fatal(url: str) -> None:
    conn = await ServerConnection.open(url)
    try:
        welcome = await conn.call_for(Hello(protocol=1), Welcome)
        assert welcome.server == "s"
        with pytest.raises(RequestFailed) as refused:
            await conn.call(ListRooms())
        assert refused.value.code == "brand_new_code"  # unknown codes still reach the caller
        assert not conn.closed
    finally:
        await conn.close()
