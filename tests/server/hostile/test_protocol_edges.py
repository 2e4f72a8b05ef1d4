"""Protocol edges over a real WebSocket: out-of-range numbers, invisible text,
deep nesting, the frame limit, unmasked frames, foreign origins, odd URLs."""

import asyncio
import json
import logging
import os
import struct

import aiohttp
import pytest

from app.protocol import MAX_MESSAGE_BYTES, PROTOCOL_VERSION
from app.server.app import RunningServer

from .conftest import Peers, StartServer

MIB = 1024 * 1024


async def test_out_of_range_ids_are_refused_and_the_room_lives_on(
    server: RunningServer, peers: Peers
) -> None:
    host = await peers.user("banner")
    await host.ok("create_room", title="Bans")
    for user_id in (2**63, 2**31, 10**30, 0, -5):
        reply = await host.call("ban", user_id=user_id)
        assert reply["code"] == "invalid" and "user_id" in reply["message"], reply
    await host.ok("ban", user_id=2**31 - 1)  # the largest id there can be
    guest = await peers.user("bystander")
    room_id = (await host.ok("sync"))["room"]["room_id"]
    await guest.ok("join_room", room_id=room_id)
    # On the stage, so that everyone is told when they go (a listener goes quietly).
    await host.ok("invite_to_stage", user_id=guest.user_id)
    await guest.ok("accept_invite")
    await guest.ws.close()
    # The clock runs: the guest times out after its 1 s grace period.
    await host.wait_pushed(lambda m: m.get("event", {}).get("reason") == "timed_out")
    await server.hub.flush()
    [saved] = await server.store.load_live_rooms()
    assert saved.bans == frozenset({2**31 - 1})


@pytest.mark.parametrize("nul", ["\u0000", "\u202e", "\u2066", "\x1b[31m"])
async def test_invisible_characters_never_reach_a_room_or_the_database(
    peers: Peers, nul: str
) -> None:
    host = await peers.user("painter")
    reply = await host.call("create_room", title=f"evil{nul}title")
    assert reply["code"] == "invalid"
    await host.ok("create_room", title="Clean", topic="one\u2028line\nonly")
    assert (await host.ok("sync"))["room"]["topic"] == "one line only"
    assert (await host.call("set_topic", topic=f"a{nul}b"))["code"] == "invalid"
    assert (await host.ok("sync"))["room"]["topic"] == "one line only"


async def test_deep_nesting_is_answered_and_the_connection_stays(
    peers: Peers, caplog: pytest.LogCaptureFixture
) -> None:
    peer = await peers.user("nester")
    caplog.set_level(logging.INFO)
    for depth in (1_000, 9_000):
        frame = '{"type": "list_rooms", "id": 5, "x": ' + "[" * depth + "]" * depth + "}"
        reply = await peer.send(frame)
        assert (reply["code"], reply["id"]) == ("invalid", None)
    assert (await peer.call("list_rooms"))["type"] == "ok"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_unknown_fields_are_ignored_and_grant_nothing(peers: Peers) -> None:
    peer = await peers.user("extra")
    reply = await peer.send({"type": "list_rooms", "id": 3, "role": "host", "admin": True})
    assert reply["type"] == "ok"


async def test_a_frame_of_exactly_one_mib_is_read(peers: Peers) -> None:
    peer = await peers.user("bulky")
    # Valid JSON of exactly 1 MiB: over the 64 KiB application limit, so
    # answered with too_large, and the connection stays.
    head = '{"type": "list_rooms", "id": 8, "pad": "'
    frame = head + "x" * (MIB - len(head) - 2) + '"}'
    assert len(frame) == MIB
    reply = await peer.send(frame)
    assert (reply["code"], reply["id"]) == ("too_large", 8)
    assert (await peer.call("list_rooms"))["type"] == "ok"
    await peer.ws.send_str("x" * (MIB + 1))
    closing = await peer.ws.receive(timeout=10)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert peer.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    assert MAX_MESSAGE_BYTES < MIB


async def _raw_handshake(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    writer.write(
        (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def _frame(payload: bytes, masked: bool) -> bytes:
    head = bytes([0x81])  # FIN, text
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head += bytes([mask_bit | length])
    else:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


async def _close_code(reader: asyncio.StreamReader) -> int | None:
    """Read server frames until its close frame; return the close code."""
    while True:
        first, second = await asyncio.wait_for(reader.readexactly(2), timeout=10)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", await reader.readexactly(2))[0]
        payload = await reader.readexactly(length)
        if first & 0x0F == 0x8:
            return int(struct.unpack("!H", payload[:2])[0]) if len(payload) >= 2 else None


async def test_unmasked_client_frames_close_the_connection(server: RunningServer) -> None:
    hello = json.dumps({"type": "hello", "id": 1, "protocol": PROTOCOL_VERSION}).encode()
    # Masked, as RFC 6455 requires: answered.
    reader, writer = await _raw_handshake(server.port)
    writer.write(_frame(hello, masked=True))
    first, second = await asyncio.wait_for(reader.readexactly(2), timeout=10)
    assert first == 0x81 and b'"ok"' in await reader.readexactly(second & 0x7F)
    writer.close()
    # Unmasked: a protocol error (1002), nothing answered.
    reader, writer = await _raw_handshake(server.port)
    writer.write(_frame(hello, masked=False))
    assert await _close_code(reader) == 1002
    writer.close()
    # Split across reads too: the header check follows frame boundaries.
    reader, writer = await _raw_handshake(server.port)
    masked = _frame(hello, masked=True)
    for i in range(0, len(masked), 3):
        writer.write(masked[i : i + 3])
        await writer.drain()
    first, second = await asyncio.wait_for(reader.readexactly(2), timeout=10)
    assert b'"ok"' in await reader.readexactly(second & 0x7F)
    writer.write(_frame(b"{}", masked=False))
    assert await _close_code(reader) == 1002
    writer.close()


async def test_web_pages_cannot_open_the_websocket(
    server: RunningServer, start: StartServer, sqlite_url: str, tmp_path: object
) -> None:
    async with aiohttp.ClientSession() as http:
        for origin in ("https://evil.example", "null", "http://127.0.0.1:8765"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(server.url, headers={"Origin": origin})
            assert refused.value.status == 403
        async with http.ws_connect(server.url) as ws:  # no Origin: the app, the bot
            await ws.send_str(json.dumps({"type": "hello", "id": 1, "protocol": PROTOCOL_VERSION}))
            assert json.loads((await ws.receive(timeout=10)).data)["type"] == "ok"


async def test_an_allowed_origin_may_connect(start: StartServer, tmp_path: object) -> None:
    server = await start(
        f"sqlite:///{tmp_path}/origin.db", allowed_origins=("https://panggung.example",)
    )
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(server.url, headers={"Origin": "https://panggung.example"}):
            pass
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(server.url, headers={"Origin": "https://other.example"})


async def test_recording_ids_are_plain_decimal(server: RunningServer, peers: Peers) -> None:
    peer = await peers.user("collector")
    # Recording 1, finished, with its file: "/recordings/1" serves it.
    record = await server.store.create_recording(
        peer.user_id, peer.user_id, "room1", "Kept", 1.0, lambda rid: f"{rid}-room1.ogg"
    )
    await server.store.finish_recording(record.recording_id, 2.0, 1.0, 4)
    path = server.hub.recordings.path_of(record)
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(path.write_bytes, b"OggS")
    assert record.recording_id == 1

    async def status(name: str) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{server.http_url}/recordings/{name}",
                headers={"Authorization": f"Bearer {peer.token}"},
            ) as reply,
        ):
            return reply.status

    assert await status("1") == 200
    # Other spellings of 1 name nothing: one id, one URL.
    for name in ("\u0661", "\u0967", "\uff11", "01", "0001", "+1", "1.0", "%201"):
        assert await status(name) == 404, name
    assert await status("9" * 12) == 404  # past any id there can be
