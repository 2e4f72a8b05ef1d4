"""The read gate (app/server/http/readgate.py): a loop iteration passes on at most
`per_turn` audience reads, the stage's always; the held ones follow in arrival
order, their transports paused meanwhile. Counted in loop iterations, not timed."""

import asyncio
import json
import os
import struct
from collections.abc import Callable
from typing import cast

import aiohttp
import pytest
from aiohttp import web
from aiohttp.base_protocol import BaseProtocol

from app.protocol import PROTOCOL_VERSION
from app.server.app import start_server
from app.server.http.listener import Listener, _Counted
from app.server.http.readgate import PER_TURN, ReadGate

from .conftest import PASSWORD, config_for


class Iterations:
    """Counts the loop's iterations: a callback that schedules itself again."""

    def __init__(self) -> None:
        self.n = 0
        self._stopped = False
        asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self.n += 1
        if not self._stopped:
            asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._stopped = True


class Inner(asyncio.Protocol):
    """aiohttp's protocol stand-in: records in which iteration each chunk arrived."""

    def __init__(self, clock: Iterations, log: list[tuple[int, int, bytes]], key: int) -> None:
        self.clock, self.log, self.key = clock, log, key
        self.eof_at: int | None = None

    def data_received(self, data: bytes) -> None:
        self.log.append((self.clock.n, self.key, data))

    def eof_received(self) -> bool:
        self.eof_at = len(self.log)
        return False


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.reading = True
        self.pauses = self.resumes = 0

    def is_reading(self) -> bool:
        return self.reading

    def pause_reading(self) -> None:
        self.reading = False
        self.pauses += 1

    def resume_reading(self) -> None:
        self.reading = True
        self.resumes += 1

    def is_closing(self) -> bool:
        return False


def connect(
    listener: Listener, inner: asyncio.Protocol, first: Callable[[], bool] | None = None
) -> tuple[_Counted, Transport]:
    wrapper = _Counted(inner, listener)
    transport = Transport()
    wrapper.connection_made(transport)
    wrapper.first = first
    return wrapper, transport


def listener_with(gate: ReadGate) -> Listener:
    return Listener(cast(web.Server, None), max_connections=10**6, gate=gate)


async def settle(clock: Iterations, gate: ReadGate, limit: int = 10_000) -> None:
    for _ in range(limit):
        if gate.waiting == 0:
            break
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    clock.stop()


async def test_a_stage_read_goes_on_while_15000_audience_frames_are_held() -> None:
    gate = ReadGate(per_turn=PER_TURN)
    listener = listener_with(gate)
    clock = Iterations()
    log: list[tuple[int, int, bytes]] = []
    audience = [connect(listener, Inner(clock, log, i)) for i in range(15_000)]
    stage_inner = Inner(clock, log, -1)
    stage, _ = connect(listener, stage_inner, first=lambda: True)
    await asyncio.sleep(0)
    # One iteration reads the whole storm, the stage's frame last of all.
    read_in = clock.n
    for i, (wrapper, _transport) in enumerate(audience):
        wrapper.data_received(b"join %d" % i)
    stage.data_received(b"set_topic")
    # The stage's bytes went on at once, in the iteration that read them.
    assert log[-1] == (read_in, -1, b"set_topic")
    assert sum(1 for when, key, _ in log if when == read_in and key >= 0) == PER_TURN
    assert gate.waiting == 15_000 - PER_TURN
    await settle(clock, gate)
    passed = [(when, key, data) for when, key, data in log if key >= 0]
    # Every audience frame, exactly once, in arrival order ...
    assert [key for _, key, _ in passed] == list(range(15_000))
    assert all(data == b"join %d" % key for _, key, data in passed)
    # ... at most PER_TURN of them in any one iteration.
    per_iteration: dict[int, int] = {}
    for when, _, _ in passed:
        per_iteration[when] = per_iteration.get(when, 0) + 1
    assert max(per_iteration.values()) == PER_TURN
    assert len(per_iteration) >= 15_000 // PER_TURN
    # Held connections stopped reading and read again once passed on.
    for _, transport in audience[PER_TURN:]:
        assert (transport.pauses, transport.resumes, transport.reading) == (1, 1, True)
    for _, transport in audience[:PER_TURN]:
        assert transport.pauses == 0


async def test_a_held_connection_keeps_its_bytes_in_order_and_before_its_end() -> None:
    gate = ReadGate(per_turn=1)
    listener = listener_with(gate)
    clock = Iterations()
    log: list[tuple[int, int, bytes]] = []
    first, _ = connect(listener, Inner(clock, log, 0))
    second_inner = Inner(clock, log, 1)
    second, transport = connect(listener, second_inner)
    first.data_received(b"a")
    second.data_received(b"b1")
    # Read once more before its turn (a chunk already in flight): queued behind.
    second.data_received(b"b2")
    assert [d for _, _, d in log] == [b"a"]
    second.eof_received()  # the peer's end comes after what it sent
    assert [d for _, _, d in log] == [b"a", b"b1", b"b2"]
    assert second_inner.eof_at == 3
    await settle(clock, gate)
    assert [d for _, _, d in log] == [b"a", b"b1", b"b2"]  # nothing passed twice
    assert transport.pauses == 1


async def test_reading_that_aiohttp_paused_stays_paused() -> None:
    gate = ReadGate(per_turn=1)
    listener = listener_with(gate)
    clock = Iterations()
    log: list[tuple[int, int, bytes]] = []
    connect(listener, Inner(clock, log, 0))[0].data_received(b"x")
    flow = BaseProtocol(asyncio.get_running_loop())
    wrapper, transport = connect(listener, flow)
    wrapper.data_received(b"")  # held: the turn's one read went to the first
    flow._reading_paused = True  # its queue filled meanwhile
    await settle(clock, gate)
    assert transport.pauses == 1 and transport.resumes == 0 and not transport.reading


async def test_without_a_gate_every_read_goes_on_at_once() -> None:
    listener = Listener(cast(web.Server, None), max_connections=10)
    clock = Iterations()
    log: list[tuple[int, int, bytes]] = []
    wrappers = [connect(listener, Inner(clock, log, i))[0] for i in range(5)]
    for wrapper in wrappers:
        wrapper.data_received(b"x")
    assert len(log) == 5
    clock.stop()


def masked_text(payload: bytes) -> bytes:
    """A client's WebSocket text frame (RFC 6455: masked), built by hand so that
    the test can write it on a blocking socket while the loop is not running."""
    key = b"\x01\x02\x03\x04"
    assert len(payload) < 126
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + key + body


def write_raw(ws: aiohttp.ClientWebSocketResponse, frame: bytes) -> None:
    """Write on the client's socket itself, now, past its event-loop writer."""
    connection = ws._response.connection
    assert connection is not None and connection.transport is not None
    sock = connection.transport.get_extra_info("socket")
    assert os.write(sock.fileno(), frame) == len(frame)


async def call(ws: aiohttp.ClientWebSocketResponse, rid: int, request: dict[str, object]) -> None:
    """Send a request and wait for its reply, skipping events."""
    await ws.send_json({**request, "id": rid})
    while True:
        message = json.loads((await ws.receive(timeout=30)).data)
        if message.get("id") == rid:
            assert message["type"] == "ok", message
            return


async def answered_before_the_stage(sqlite_url: str, audience_lane: bool, listeners: int) -> int:
    """Audience requests answered before the stage's when `listeners` audience frames
    and then the stage's frame reach the server in one go."""
    server = await start_server(
        config_for(sqlite_url, audience_lane=audience_lane, audience_reads_per_turn=8)
    )
    # No limit: a session's default 100 connections would hold back the rest.
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    try:
        host = await http.ws_connect(server.url)
        await call(host, 1, {"type": "hello", "protocol": PROTOCOL_VERSION})
        await call(host, 2, {"type": "register", "username": "ayu", "password": PASSWORD})
        await call(host, 3, {"type": "create_room", "title": "Gated"})
        sockets = [await http.ws_connect(server.url) for _ in range(listeners)]
        order: list[str] = []
        times = server.timings
        record = times.record

        def logged(key: str, seconds: float) -> None:
            order.append(key)
            record(key, seconds)

        times.record = logged  # type: ignore[method-assign]
        hello = masked_text(b'{"type":"hello","id":1,"protocol":99}')
        topic = masked_text(b'{"type":"set_topic","id":4,"topic":"still here"}')
        # Written while the loop waits here: the server reads them all in its
        # next iteration, the stage's last.
        for ws in sockets:
            write_raw(ws, hello)
        write_raw(host, topic)
        for ws in sockets:
            await ws.receive(timeout=30)
        while "stage:set_topic" not in order:
            await host.receive(timeout=30)
        assert order.count("audience:hello") == listeners
        return order.index("stage:set_topic")
    finally:
        await http.close()
        await server.stop()


@pytest.mark.parametrize("listeners", [120])
async def test_a_real_servers_stage_request_is_answered_ahead_of_a_storm(
    sqlite_url: str, listeners: int
) -> None:
    # The gate passes on 8 audience reads an iteration: the stage's request
    # is handled in the iteration after it was read, with at most those 8.
    assert await answered_before_the_stage(sqlite_url, True, listeners) <= 8


async def test_without_the_gate_and_the_lane_the_storm_goes_first(sqlite_url: str) -> None:
    # The same storm read and handled as it comes: the stage's frame, read
    # last, is handled after (nearly) all of the audience's.
    assert await answered_before_the_stage(sqlite_url, False, 120) > 100
