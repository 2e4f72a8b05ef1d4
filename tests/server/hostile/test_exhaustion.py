"""Exhaustion: half-sent requests, running out of descriptors, floods, and
rate-limit storage that must not grow with every client ever seen."""

import asyncio
import contextlib
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from app.server.app import RunningServer
from app.server.http.ratelimit import RateLimitConfig

from .conftest import Peers, StartServer

HALF_REQUEST = b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"


async def half_open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HALF_REQUEST)  # and never the blank line that ends it
    await writer.drain()
    return reader, writer


async def healthz(port: int) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as reply,
    ):
        return reply.status, await reply.text()


async def test_half_sent_requests_time_out_and_past_the_cap_come_clear_refusals(
    server: RunningServer,
) -> None:
    # The cap is 50 and the request timeout 1 s (conftest).
    held = [await half_open(server.port) for _ in range(50)]
    await asyncio.sleep(0.1)
    assert server.listener.open_connections == 50
    status, text = await healthz(server.port)
    assert status == 503 and "connection limit" in text
    # The server drops them itself once the request timeout passed...
    for reader, _writer in held:
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""
    # ...and answers again.
    status, _ = await healthz(server.port)
    assert status == 200
    for _reader, writer in held:
        writer.close()
    assert server.listener.refused >= 1


async def test_an_idle_connection_that_never_sends_is_closed(server: RunningServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    start = time.monotonic()
    assert await asyncio.wait_for(reader.read(), timeout=10) == b""
    assert time.monotonic() - start < 5
    writer.close()


async def test_a_signed_in_websocket_is_not_cut_by_the_request_timeout(peers: Peers) -> None:
    peer = await peers.user("patient")
    await asyncio.sleep(2.5)  # past the 1 s request timeout: only HTTP waits end
    assert (await peer.call("list_rooms"))["type"] == "ok"


def _server_with_few_descriptors(
    tmp_path: Path, *flags: str
) -> tuple["subprocess.Popen[str]", int]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (96, 96))

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.server.main",
            "--port",
            "0",
            "--no-media",
            "--db",
            f"sqlite:///{tmp_path / 'fd.db'}",
            "--request-timeout",
            "2",
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("ws://"), proc.stderr.read() if proc.stderr else url
    return proc, int(url.rsplit(":", 1)[1].split("/")[0])


def _flood(port: int, count: int, pause: float = 0.0) -> list[socket.socket]:
    opened = []
    for _ in range(count):
        try:  # a full listen queue makes a connect wait: skip those
            sock = socket.create_connection(("127.0.0.1", port), timeout=0.5)
            sock.sendall(HALF_REQUEST)
        except OSError:
            continue
        opened.append(sock)
        time.sleep(pause)
    return opened


def _answers(opened: list[socket.socket]) -> list[bytes]:
    """What each socket has been sent so far (b"" for a close), at once."""
    time.sleep(0.3)
    got = []
    for sock in opened:
        sock.setblocking(False)
        try:
            got.append(sock.recv(200))
        except BlockingIOError:
            got.append(b"(nothing)")
        except OSError:
            got.append(b"")
    return got


def _stop(proc: "subprocess.Popen[str]") -> tuple[int, str]:
    proc.terminate()
    _out, err = proc.communicate(timeout=30)
    return proc.returncode, err


async def test_out_of_descriptors_the_server_refuses_cleanly_and_recovers(tmp_path: Path) -> None:
    # 96 descriptors: the default cap (32) leaves a reserve below them, so
    # extra connections get a 503 instead of accept() failing.
    proc, port = _server_with_few_descriptors(tmp_path)
    try:
        opened = await asyncio.to_thread(_flood, port, 150)
        answers = await asyncio.to_thread(_answers, opened)
        # Those within the lingering budget read a 503; the others are closed.
        assert sum(a.startswith(b"HTTP/1.1 503") for a in answers) >= 10, answers
        for sock in opened:
            sock.close()
        await asyncio.sleep(0.5)
        status, _ = await healthz(port)
        assert status == 200
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    assert "out of system resource" not in err
    assert err.count("refusing connections") <= 2  # one line per 10 s, not one per refusal


async def test_a_cap_above_the_descriptor_limit_does_not_flood_the_log(tmp_path: Path) -> None:
    # accept() itself fails then (EMFILE), over and over; the log says so once.
    proc, port = _server_with_few_descriptors(tmp_path, "--max-connections", "10000")
    try:
        # Slowly enough that the listen queue never overflows: each one is
        # accepted, until accept() fails for want of descriptors.
        opened = await asyncio.to_thread(_flood, port, 130, 0.005)
        await asyncio.sleep(2)  # asyncio retries accept() every second meanwhile
        for sock in opened:
            sock.close()
        await asyncio.sleep(2.5)  # the half-sent ones time out too
        status, _ = await healthz(port)
        assert status == 200
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    floods = err.count("out of system resource")
    assert 1 <= floods <= 3, err[-2000:]
    assert len(err) < 20_000


async def test_rate_limit_keys_do_not_pile_up(start: StartServer, sqlite_url: str) -> None:
    fast = RateLimitConfig(failures_per_source="100/second", failures_per_name="100/second")
    server = await start(sqlite_url, rate_limits=fast)
    async with contextlib.AsyncExitStack() as stack:
        peers = Peers(server.url, stack)
        # Keys of connections and accounts go with them...
        for n in range(8):
            peer = await peers.user(f"passing{n}")
            await peer.ok("list_rooms")
            await peer.ws.close()
        await asyncio.sleep(0.3)
        assert server.limits.tracked_keys() <= 2
        # ...and failure counts, keyed by whatever names a stranger sends, expire.
        guesser = await peers.greeted("127.0.0.9")
        for n in range(30):  # names that cannot exist: refused without hashing, but counted
            await guesser.call("login", username=f"made up {n}", password="guess-guess")
        assert server.limits.tracked_keys() >= 30
        await asyncio.sleep(2.2)  # two windows
        await guesser.call("login", username="one more", password="guess-guess")
        await asyncio.sleep(0.2)  # the storage sweeps shortly after a hit
        assert server.limits.tracked_keys() <= 6


async def test_a_flood_on_one_connection_does_not_slow_another(peers: Peers) -> None:
    flooder = await peers.user("flooder")
    calm = await peers.user("calm")
    for n in range(300):
        await flooder.ws.send_str(f'{{"type": "list_rooms", "id": {n}}}')
    start = time.monotonic()
    assert (await calm.call("list_rooms"))["type"] == "ok"
    assert time.monotonic() - start < 2.0
    codes = [(await flooder.reply())["type"] for _ in range(300)]
    assert codes.count("error") >= 200  # rate limited, and each still answered
