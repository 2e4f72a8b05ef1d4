"""nginx as the broadcast tier's cache: 1,000 HLS clients cost the origin one fetch per segment."""

import asyncio
import collections
import json
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from app.dsp.signals import ToneSource
from app.media.server.room import RoomMedia
from app.server.app import RunningServer, start_server
from tests.support.nginx import NginxServer, NginxUnavailable

from .conftest import ClientFactory, config_for

CLIENTS = 1_000
POLLS = 4


@pytest.fixture
async def server(sqlite_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(config_for(sqlite_url, hls_dir=tmp_path / "hls"))
    yield running
    await running.stop()


@pytest.fixture
def nginx(server: RunningServer) -> Iterator[NginxServer]:
    try:
        front = NginxServer.start(f"127.0.0.1:{server.port}")
    except NginxUnavailable as exc:
        pytest.skip(str(exc))
    yield front
    front.stop()


async def tone_room(server: RunningServer, make_client: ClientFactory, title: str) -> str:
    """A host's new room whose mix carries a 440 Hz tone; its id."""
    host = await make_client("host")
    room_id = (await host.create_room(title)).room_id
    plane = server.hub.voice.ensure_plane(room_id)
    assert isinstance(plane, RoomMedia)
    plane.add_local_source("tone", ToneSource(440).next_frame)
    return room_id


async def test_a_thousand_clients_through_nginx_cost_the_origin_one_fetch_per_segment(
    server: RunningServer, nginx: NginxServer, make_client: ClientFactory
) -> None:
    room_id = await tone_room(server, make_client, "Mass audience")
    # Cold: the clients' first requests start the writer; nginx's lock holds
    # all but one while the origin waits for the first segment.
    assert not server.broadcasts.streaming(room_id)
    # Niced: a thousand Python clients would otherwise take the CPU from the
    # live media tests running beside this one.
    clients = await asyncio.create_subprocess_exec(
        "nice",
        "-n",
        "10",
        sys.executable,
        "-m",
        "tests.support.hls_clients",
        f"{nginx.url}/hls/{room_id}/index.m3u8",
        str(CLIENTS),
        str(POLLS),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await clients.communicate()
    assert clients.returncode == 0, err.decode()[-3000:]
    got = collections.Counter(json.loads(out))
    playlists, gone, fewest = (
        got.pop("_playlists"),
        got.pop("_gone", 0),
        got.pop("_fewest_segments"),
    )

    served = server.broadcasts.served(room_id)
    # Every client fetched the init section and some segments, all through the cache...
    init = [name for name in got if name.endswith("-init.mp4")]
    segments = [name for name in got if name.endswith(".m4s")]
    assert len(init) == 1 and got[init[0]] == CLIENTS
    assert len(segments) >= 2 and fewest >= 2
    # (A client that fell far behind on this busy machine may find a segment gone.)
    assert gone < sum(got[name] for name in segments) / 10
    # ...and the origin served each of those files exactly once.
    assert {name: served.get(name, 0) for name in got} == {name: 1 for name in got}
    # nginx's own log agrees: one MISS per file, the rest HIT (or waited on the lock).
    misses = collections.Counter(
        line.split()[0].rsplit("/", 1)[1]
        for line in nginx.access_log()
        if not line.split()[0].endswith(".m3u8") and line.split()[2] == "MISS"
    )
    assert {name: misses[name] for name in got} == {name: 1 for name in got}
    playlist_fetches = sum(1 for line in nginx.access_log() if ".m3u8" in line.split()[0])
    assert playlist_fetches == playlists == CLIENTS * POLLS


async def test_nginx_refreshes_the_playlist_at_each_wall_clock_second(
    server: RunningServer, nginx: NginxServer, make_client: ClientFactory
) -> None:
    # The origin tells nginx to keep the playlist to the end of the current
    # second (X-Accel-Expires: @T); with `max-age=1` alone nginx keeps it one
    # to two seconds (its clock is whole seconds), every other second.
    room_id = await tone_room(server, make_client, "Fresh playlist")
    url = f"{nginx.url}/hls/{room_id}/index.m3u8"
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(30):
            while True:  # the writer's first segment
                async with http.get(url) as reply:
                    if reply.status == 200:
                        break
                await asyncio.sleep(0.2)
        direct = f"http://127.0.0.1:{server.port}/hls/{room_id}/index.m3u8"
        async with http.get(direct) as reply:
            expires = reply.headers["X-Accel-Expires"]
            assert reply.headers["Cache-Control"] == "public, max-age=1"
        assert expires.startswith("@") and abs(int(expires[1:]) - time.time()) < 2
        before = server.broadcasts.playlists_served(room_id)
        seconds = set()
        loop = asyncio.get_running_loop()
        end = loop.time() + 6.0
        while loop.time() < end:
            async with http.get(url) as reply:
                assert reply.status == 200
                assert "X-Accel-Expires" not in reply.headers  # nginx's own, not passed on
            seconds.add(int(time.time()))
            await asyncio.sleep(0.05)
    fetched = server.broadcasts.playlists_served(room_id) - before
    # One origin fetch per second polled (give or take the edges, and a
    # second this busy machine skipped); every other second would be ~3.
    assert len(seconds) - 2 <= fetched <= len(seconds) + 1, (fetched, len(seconds))
