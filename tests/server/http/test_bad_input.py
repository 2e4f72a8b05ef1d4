"""Hostile and malformed input: each gets a clear error code and the
connection and the server keep working."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from app.protocol import MAX_MESSAGE_BYTES, PROTOCOL_VERSION
from app.server.app import RunningServer
from tests.support.closing import closed_within


class Raw:
    """A bare WebSocket, to send frames no well-behaved client would."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.http = http
        self.ws = ws

    async def send(self, frame: str | dict[str, Any]) -> dict[str, Any]:
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))
        while True:
            reply = await self.ws.receive(timeout=10)
            assert reply.type == aiohttp.WSMsgType.TEXT, reply
            data: dict[str, Any] = json.loads(reply.data)
            # The room's once-a-second summaries come unasked; skip them.
            if data.get("type") not in ("audience", "reactions"):
                return data


@pytest.fixture
async def raw(server: RunningServer) -> AsyncIterator[Raw]:
    # Bounded, so that a hang names itself instead of meeting pytest's timeout.
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    ws = await http.ws_connect(server.url)
    yield Raw(http, ws)
    await closed_within(ws.close(), 30, "the client's WebSocket")
    await closed_within(http.close(), 30, "the client's session")


async def greet_and_register(raw: Raw, name: str) -> None:
    assert (await raw.send({"type": "hello", "id": 1, "protocol": PROTOCOL_VERSION}))[
        "type"
    ] == "ok"
    reply = await raw.send(
        {"type": "register", "id": 2, "username": name, "password": "long enough pw"}
    )
    assert reply["type"] == "ok", reply


async def test_requests_before_hello_are_refused(raw: Raw) -> None:
    reply = await raw.send({"type": "list_rooms", "id": 7})
    assert reply == {
        "type": "error",
        "id": 7,
        "code": "hello_required",
        "message": reply["message"],
        "retry_after": None,
    }


async def test_wrong_protocol_version_is_refused_and_the_right_one_then_works(raw: Raw) -> None:
    reply = await raw.send({"type": "hello", "id": 1, "protocol": 999})
    assert reply["code"] == "unsupported_version"
    assert (await raw.send({"type": "hello", "id": 2, "protocol": PROTOCOL_VERSION}))[
        "type"
    ] == "ok"


async def test_requests_before_sign_in_are_refused(raw: Raw) -> None:
    await raw.send({"type": "hello", "id": 1, "protocol": PROTOCOL_VERSION})
    for request in (
        {"type": "list_rooms", "id": 2},
        {"type": "create_room", "id": 3, "title": "x"},
        {"type": "mute", "id": 4, "user_id": 1},
    ):
        reply = await raw.send(request)
        assert (reply["id"], reply["code"]) == (request["id"], "auth_required")


@pytest.mark.parametrize(
    ("frame", "code", "rid"),
    [
        ("{not json", "bad_json", None),
        ("[1, 2, 3]", "invalid", None),
        ('{"type": "hello", "id": "one", "protocol": 1}', "invalid", None),
        ('{"type": "launch_missiles", "id": 5}', "unknown_type", 5),
        ('{"type": "mute", "id": 6}', "invalid", 6),
        ('{"type": "mute", "id": 8, "user_id": "everyone"}', "invalid", 8),
        ('{"type": "react", "id": 10, "reaction": "<script>"}', "invalid", 10),
    ],
)
async def test_malformed_messages_get_an_error_and_the_connection_survives(
    raw: Raw, frame: str, code: str, rid: int | None
) -> None:
    await greet_and_register(raw, "mallory")
    reply = await raw.send(frame)
    assert (reply["type"], reply["code"], reply["id"]) == ("error", code, rid)
    assert reply["message"]
    # Still usable afterwards.
    assert (await raw.send({"type": "list_rooms", "id": 99}))["type"] == "ok"


async def test_oversized_message_is_refused_but_the_connection_stays(raw: Raw) -> None:
    await greet_and_register(raw, "bigmouth")
    topic = "x" * (MAX_MESSAGE_BYTES + 10)
    reply = await raw.send({"type": "create_room", "id": 3, "title": "t", "topic": topic})
    assert (reply["code"], reply["id"]) == ("too_large", 3)
    assert (await raw.send({"type": "list_rooms", "id": 4}))["type"] == "ok"


async def test_frame_past_the_hard_limit_closes_only_that_connection(
    raw: Raw, server: RunningServer
) -> None:
    await raw.ws.send_str("x" * (2 * 1024 * 1024))
    closing = await raw.ws.receive(timeout=10)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert raw.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.http_url}/healthz") as health:
            assert (await health.json())["status"] == "ok"
        async with http.ws_connect(server.url) as ws:
            other = Raw(http, ws)
            reply = await other.send({"type": "hello", "id": 1, "protocol": PROTOCOL_VERSION})
            assert reply["type"] == "ok"


async def test_flooding_is_rate_limited_and_the_connection_recovers(raw: Raw) -> None:
    await greet_and_register(raw, "flooder")
    for i in range(40):
        await raw.ws.send_str(json.dumps({"type": "list_rooms", "id": 100 + i}))
    codes = []
    for _ in range(40):
        msg = await raw.ws.receive(timeout=10)
        codes.append(json.loads(msg.data).get("code"))
    assert "rate_limited" in codes
    assert codes.count(None) >= 20  # the first ones within the budget were answered
    # After the window passes, requests are served again.
    await asyncio.sleep(1.1)
    assert (await raw.send({"type": "list_rooms", "id": 500}))["type"] == "ok"


async def test_fields_a_client_adds_cannot_grant_anything(raw: Raw, server: RunningServer) -> None:
    await greet_and_register(raw, "owner")
    created = await raw.send({"type": "create_room", "id": 3, "title": "Mine"})
    room_id = created["data"]["room"]["room_id"]
    async with raw.http.ws_connect(server.url) as ws:
        intruder = Raw(raw.http, ws)
        await greet_and_register(intruder, "intruder")
        joined = await intruder.send(
            {"type": "join_room", "id": 3, "room_id": room_id, "role": "host"}
        )
        assert joined["type"] == "ok"
        reply = await intruder.send({"type": "set_topic", "id": 4, "topic": "x", "as": "host"})
        assert (reply["type"], reply["code"]) == ("error", "forbidden")


async def test_room_actions_without_a_room_are_refused(raw: Raw) -> None:
    await greet_and_register(raw, "roomless")
    reply = await raw.send({"type": "raise_hand", "id": 3})
    assert reply["code"] == "not_in_room"
    reply = await raw.send({"type": "join_room", "id": 4, "room_id": "nope"})
    assert reply["code"] == "room_not_found"
