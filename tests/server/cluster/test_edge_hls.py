"""Every node serves every room's HLS: real nodes (one Redis, one PostgreSQL,
media on, the origin's real HLS writer), listeners fetching through a node
that is not the room's origin. Checked on the audio (PyAV through the edge
against the origin's own segments), on the origin's own counters (one body
per file however many clients ask the edge), on invite-only rooms' tokens,
and across the origin going away and a takeover."""

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
import pytest
from multidict import CIMultiDict
from numpy.typing import NDArray

from app.client.session import RoomClient
from app.dsp.analysis import normalized_xcorr, peak_frequency
from app.media.server.room import RoomMedia
from app.protocol.replies import BroadcastStream, InviteCreated
from app.protocol.requests import Ban, CreateInvite, ListenBroadcast, Remove
from app.server.app import HLS_SECRET, RunningServer
from app.server.broadcast.edge import PLAYLIST_TIMEOUT
from app.server.cluster import ClusterNode
from app.server.main import parse_args
from tests.server.cluster.test_nodes import StartNode, start_node
from tests.support.closing import closed_within
from tests.support.redis import RedisServer
from tests.support.tcprelay import TcpRelay

__all__ = ["start_node"]
pytestmark = pytest.mark.postgres
PASSWORD = "correct horse battery"
RATE = 48_000
FRAME = 960
TONE = 440.0
SEGMENT = re.compile(r"^([0-9a-f]{8}-[0-9]{6}\.m4s)$", re.MULTILINE)
INIT = re.compile(r'#EXT-X-MAP:URI="([^"]+)"')


class Pattern:
    """A 440 Hz tone switched on and off every 100 ms by a seeded draw: one
    alignment of it correlates, a tone alone would at any whole period."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._phase = 0
        self._on = True
        self._frames = 0

    def next_frame(self) -> NDArray[np.int16]:
        if self._frames % 5 == 0:
            self._on = bool(self._rng.random() < 0.5)
        self._frames += 1
        t = (self._phase + np.arange(FRAME)) / RATE
        self._phase += FRAME
        level = 0.3 if self._on else 0.0
        return (np.sin(2 * np.pi * TONE * t) * level * 32767).astype(np.int16)


def speak(server: RunningServer, room_id: str, seed: int = 13) -> None:
    plane = server.hub.voice.ensure_plane(room_id)
    assert isinstance(plane, RoomMedia)
    plane.add_local_source("pattern", Pattern(seed).next_frame)


async def get(
    http: aiohttp.ClientSession, url: str, **headers: str
) -> tuple[int, CIMultiDict[str], bytes]:
    async with http.get(url, headers=headers) as response:
        return response.status, response.headers.copy(), await response.read()


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.05)


async def signed_in(server: RunningServer, name: str, clients: list[RoomClient]) -> RoomClient:
    client = RoomClient(server.url, client_name="test")
    clients.append(client)
    await client.connect()
    await client.register(name, PASSWORD)
    return client


@pytest.fixture
async def clients() -> AsyncIterator[list[RoomClient]]:
    made: list[RoomClient] = []
    yield made
    for client in made:
        await closed_within(client.close(), 10, "a client")


def media_node(tmp_path: Path, name: str, **more: Any) -> dict[str, Any]:
    # Each node its own HLS directory: in one process they would share ROOT/PID.
    return {"media": True, "hls_dir": tmp_path / f"hls-{name}", **more}


def decode(data: bytes) -> NDArray[np.int16]:
    """fMP4 (an init section and segments, concatenated) to 48 kHz mono s16."""
    with av.open(io.BytesIO(data), format="mp4") as container:
        return _pcm(container)


def play(url: str, seconds: float) -> NDArray[np.int16]:
    """What an HLS player hears: FFmpeg's HLS demuxer over HTTP (blocking)."""
    with av.open(url, options={"rw_timeout": "10000000"}, timeout=10) as container:
        return _pcm(container, int(seconds * RATE))


def _pcm(container: Any, limit: int | None = None) -> NDArray[np.int16]:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    parts: list[NDArray[np.int16]] = []
    got = 0
    for frame in container.decode(audio=0):
        for out in resampler.resample(frame):
            part = out.to_ndarray().reshape(-1).astype(np.int16)
            parts.append(part)
            got += len(part)
        if limit is not None and got >= limit:
            break
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


async def test_listeners_on_an_edge_cost_the_origin_one_fetch_per_file_and_hear_its_audio(
    start_node: StartNode, tmp_path: Path, clients: list[RoomClient]
) -> None:
    a = await start_node("a", **media_node(tmp_path, "a"))
    b = await start_node("b", **media_node(tmp_path, "b"))
    host = await signed_in(a, "host", clients)
    rid = (await host.create_room("Broadcast")).room_id  # a is its origin
    speak(a, rid)
    ear = await signed_in(b, "ear", clients)
    await ear.join(rid)
    await until(lambda: b.hub.listed(rid) is not None, 10, "the room listed at b")
    stream = await ear.conn.call_for(ListenBroadcast(), BroadcastStream)
    assert stream.playlist == f"/hls/{rid}/index.m3u8"  # b's own path: b serves it
    assert not b.broadcasts.holds(rid) and b.edge is not None
    # The registry says where each node's HTTP is, for the others.
    assert {node.http for node in await b.hub.cluster.nodes()} == {a.http_url, b.http_url}
    edge_url = f"{b.http_url}/hls/{rid}"

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        # 50 players arrive at once, before the room broadcasts: the first
        # playlist starts the origin's writer, and the edge asks it once.
        answers = await asyncio.gather(*(get(http, f"{edge_url}/index.m3u8") for _ in range(50)))
        assert {status for status, _, _ in answers} == {200}
        assert len({body for _, _, body in answers}) == 1
        assert a.broadcasts.playlists_served(rid) == 1
        _, headers, body = answers[0]
        assert headers["Cache-Control"] == "public, max-age=1"
        assert headers["Content-Type"] == "application/vnd.apple.mpegurl"
        assert headers["Access-Control-Allow-Origin"] == "*"
        playlist = body.decode()
        init = INIT.search(playlist)
        assert init is not None
        files = [init.group(1), *SEGMENT.findall(playlist)[-2:]]
        assert len(files) >= 2  # the first playlist may list one segment only

        # Each of the 50 fetches the init section and the segments, all at once.
        got = await asyncio.gather(
            *(get(http, f"{edge_url}/{name}") for _ in range(50) for name in files)
        )
        assert {status for status, _, _ in got} == {200}
        for n, name in enumerate(files):
            assert len({body for _, _, body in got[n :: len(files)]}) == 1, name
        _, headers, _ = got[1]
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["Content-Type"] == "audio/mp4"
        # Revalidated at the edge: a 304, nothing asked of the origin.
        status, _, empty = await get(
            http, f"{edge_url}/{files[1]}", **{"If-None-Match": headers["ETag"]}
        )
        assert status == 304 and empty == b""
        served = a.broadcasts.served(rid)
        assert {name: served.get(name) for name in files} == {name: 1 for name in files}

        # A player through the edge (PyAV, FFmpeg's HLS demuxer) hears the
        # origin's audio: its own segments, fetched from it directly.
        heard = await asyncio.to_thread(play, f"{edge_url}/index.m3u8", 3.0)
        assert len(heard) >= 2 * RATE
        assert abs(peak_frequency(heard) - TONE) < 10
        assert all(count == 1 for count in a.broadcasts.served(rid).values())
        status, _, now = await get(http, f"{a.http_url}/hls/{rid}/index.m3u8")
        assert status == 200
        init_name = INIT.search(now.decode())
        assert init_name is not None
        parts = [init_name.group(1), *SEGMENT.findall(now.decode())]
        origin_bytes = b""
        for name in parts:
            status, _, part = await get(http, f"{a.http_url}/hls/{rid}/{name}")
            assert status == 200, name
            origin_bytes += part
        reference = await asyncio.to_thread(decode, origin_bytes)
        _, similarity = normalized_xcorr(reference, heard)
        print(f"through the edge against the origin's segments: correlation {similarity:.3f}")
        assert similarity >= 0.9


async def test_an_invite_only_rooms_stream_through_an_edge_is_checked_with_the_origin(
    start_node: StartNode, tmp_path: Path, clients: list[RoomClient]
) -> None:
    a = await start_node("a", **media_node(tmp_path, "a"))
    b = await start_node("b", **media_node(tmp_path, "b"))
    host = await signed_in(a, "gatekeeper", clients)
    room = await host.create_room("Members only", invite_only=True)
    rid = room.room_id
    speak(a, rid)
    invite = await host.conn.call_for(CreateInvite(), InviteCreated)
    guest = await signed_in(b, "guest", clients)
    await guest.join(rid, invite.code)
    second = await signed_in(b, "second-guest", clients)
    await second.join(rid, invite.code)
    await until(lambda: b.hub.listed(rid) is not None, 10, "the room listed at b")
    stream = await guest.conn.call_for(ListenBroadcast(), BroadcastStream)
    token = stream.playlist.split("/")[4]
    assert stream.playlist == f"/hls/{rid}/t/{token}/index.m3u8"
    # Signed by b with the cluster's secret: the origin takes it.
    assert a.broadcasts.tokens.verify(rid, token, time.time()) == guest.user_id
    edge = b.edge
    assert edge is not None
    base = f"{b.http_url}/hls/{rid}"
    async with aiohttp.ClientSession() as http:
        assert (await get(http, f"{base}/index.m3u8"))[0] == 404  # not without a token
        status, headers, body = await get(http, f"{b.http_url}{stream.playlist}")
        assert status == 200, body
        assert headers["Cache-Control"] == "private, max-age=1"
        assert "Access-Control-Allow-Origin" not in headers
        segment = SEGMENT.findall(body.decode())[-1]
        # Never shared, not even with the same member: each request reaches the origin.
        for _ in range(2):
            status, headers, _ = await get(http, f"{base}/t/{token}/{segment}")
            assert status == 200 and headers["Cache-Control"].startswith("private,")
        assert a.broadcasts.served(rid)[segment] == 2
        assert (await get(http, f"{base}/{segment}"))[0] == 404  # nor on the public route

        # A forged token is refused by the edge itself.
        asked = edge.origin_requests
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert (await get(http, f"{base}/t/{forged}/index.m3u8"))[0] == 404
        assert edge.origin_requests == asked

        # Removed from the room: the same token stops working on the edge at once.
        await host.request(Remove(user_id=guest.user_id))
        await host.wait_until(lambda m: guest.user_id not in m.members)
        assert (await get(http, f"{base}/t/{token}/index.m3u8"))[0] == 404
        assert (await get(http, f"{base}/t/{token}/{segment}"))[0] == 404
        assert edge.origin_requests == asked + 2  # asked the origin, both times
        # Banned: the same.
        theirs = (await second.conn.call_for(ListenBroadcast(), BroadcastStream)).playlist
        assert (await get(http, f"{b.http_url}{theirs}"))[0] == 200
        await host.request(Ban(user_id=second.user_id))
        await host.wait_until(lambda m: second.user_id not in m.members)
        assert (await get(http, f"{b.http_url}{theirs}"))[0] == 404
        host_token = b.broadcasts.token_for(rid, host.user_id)
        assert (await get(http, f"{base}/t/{host_token}/index.m3u8"))[0] == 200


async def test_the_origin_going_away_is_a_503_and_the_edge_follows_the_takeover(
    start_node: StartNode, tmp_path: Path, clients: list[RoomClient]
) -> None:
    # The road from the other nodes to a's HTTP runs through a relay the test can cut.
    road = TcpRelay("127.0.0.1", 0)
    await road.start()
    try:
        a = await start_node(
            "a", **media_node(tmp_path, "a", node_address=f"127.0.0.1:{road.port}")
        )
        road.retarget("127.0.0.1", a.port)
        b = await start_node("b", **media_node(tmp_path, "b"))
        c = await start_node("c", **media_node(tmp_path, "c"))
        host = await signed_in(a, "host", clients)
        rid = (await host.create_room("Moving")).room_id
        speak(a, rid)
        for name, node in (("ear-b", b), ("ear-c", c)):
            ear = await signed_in(node, name, clients)
            await ear.join(rid)
        async with aiohttp.ClientSession() as http:
            status, _, body = await get(http, f"{c.http_url}/hls/{rid}/index.m3u8")
            assert status == 200, body
            first_run = SEGMENT.findall(body.decode())[-1][:8]

            road.cut()  # a holds the room but nobody reaches its HTTP
            await asyncio.sleep(1.1)  # past the cached playlist's second
            began = time.monotonic()
            status, headers, _ = await get(http, f"{c.http_url}/hls/{rid}/index.m3u8")
            took = time.monotonic() - began
            print(f"the road to the origin cut: 503 after {took:.1f} s")
            assert status == 503 and int(headers["Retry-After"]) >= 1
            assert headers["Content-Type"].startswith("text/plain")
            assert took < PLAYLIST_TIMEOUT + 3, took

            await closed_within(a.stop(), 30, "node a")  # b or c takes the room over
            await until(
                lambda: bool(b.hub.local_room(rid) or c.hub.local_room(rid)), 15, "a takeover"
            )
            origin, edge = (b, c) if b.hub.local_room(rid) else (c, b)
            speak(origin, rid, seed=14)
            deadline = time.monotonic() + 20
            while True:  # the new origin's writer starts on the first request
                status, _, body = await get(http, f"{edge.http_url}/hls/{rid}/index.m3u8")
                if status == 200:
                    break
                assert status == 503 and time.monotonic() < deadline, (status, body)
                await asyncio.sleep(0.5)
            segments = SEGMENT.findall(body.decode())
            assert segments and segments[-1][:8] != first_run  # the new origin's writer
            assert origin.broadcasts.streaming(rid)
            status, _, data = await get(http, f"{edge.http_url}/hls/{rid}/{segments[-1]}")
            assert status == 200 and len(data) > 100
    finally:
        await road.close()


def test_the_address_other_nodes_fetch_from_is_a_flag() -> None:
    assert parse_args(["--node-address", "10.0.0.11:8765"]).node_address == "10.0.0.11:8765"
    assert parse_args([]).node_address is None  # where the node listens


async def test_with_redis_away_the_edge_goes_on_serving_and_the_secret_comes_back(
    start_node: StartNode, own_redis: RedisServer, tmp_path: Path, clients: list[RoomClient]
) -> None:
    a = await start_node("a", cluster_url=own_redis.url(), **media_node(tmp_path, "a"))
    b = await start_node("b", cluster_url=own_redis.url(), **media_node(tmp_path, "b"))
    host = await signed_in(a, "host", clients)
    rid = (await host.create_room("Through an outage")).room_id
    speak(a, rid)
    url = f"{b.http_url}/hls/{rid}/index.m3u8"
    token = b.broadcasts.token_for(rid, host.user_id)
    assert isinstance(a.hub.cluster, ClusterNode) and isinstance(b.hub.cluster, ClusterNode)
    key = a.hub.cluster.keys.secret(HLS_SECRET)
    async with aiohttp.ClientSession() as http:
        status, _, body = await get(http, url)
        assert status == 200, body
        before = SEGMENT.findall(body.decode())

        # The origin goes on writing while Redis is away (it keeps its rooms'
        # sound), and the edge goes on fetching from where it last found it.
        own_redis.kill()
        await until(lambda: not b.hub.cluster.health().ok, 10, "b degraded")
        deadline = time.monotonic() + 15
        while True:
            status, _, body = await get(http, url)
            assert status == 200, body
            if SEGMENT.findall(body.decode())[-1] not in before:
                break  # a newer segment, from the origin, through the edge
            assert time.monotonic() < deadline, "no new segment through the edge"
            await asyncio.sleep(0.5)

        # Redis back empty: the nodes offer their secret again, so tokens
        # issued before still verify everywhere.
        own_redis.restart()
        await until(lambda: b.hub.cluster.health().ok, 20, "b back")
        deadline = time.monotonic() + 10
        while own_redis.command("EXISTS", key) != "1":
            assert time.monotonic() < deadline, "the secret not offered again"
            await asyncio.sleep(0.1)
        for node in (a, b):
            assert node.broadcasts.tokens.verify(rid, token, time.time()) == host.user_id
