"""GET /hls/...: the broadcast tier through the real server (cache headers, visibility, cleanup)."""

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from multidict import CIMultiDict

from app.dsp.signals import ToneSource
from app.media.server.room import RoomMedia
from app.protocol.replies import InviteCreated
from app.protocol.requests import Ban, CreateInvite, EndRoom
from app.server.app import RunningServer, start_server

from .conftest import ClientFactory, config_for


@pytest.fixture
async def server(sqlite_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(config_for(sqlite_url, hls_dir=tmp_path / "hls"))
    yield running
    await running.stop()


def speak(server: RunningServer, room_id: str) -> None:
    """A tone in the room's mix, as a speaker on stage would be."""
    plane = server.hub.voice.ensure_plane(room_id)
    assert isinstance(plane, RoomMedia)
    plane.add_local_source("tone", ToneSource(440).next_frame)


async def get(
    http: aiohttp.ClientSession, url: str, **headers: str
) -> tuple[int, CIMultiDict[str], bytes]:
    async with http.get(url, headers=headers) as response:
        return response.status, response.headers.copy(), await response.read()


async def test_a_public_room_streams_with_headers_fit_for_a_cdn(
    server: RunningServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    host = await make_client("host")
    room = await host.create_room("On air")
    speak(server, room.room_id)
    base = f"{server.http_url}/hls/{room.room_id}"
    async with aiohttp.ClientSession() as http:
        # The first request starts the writer and waits for its first segment.
        status, headers, body = await get(http, f"{base}/index.m3u8")
        assert status == 200, body
        assert headers["Content-Type"] == "application/vnd.apple.mpegurl"
        assert headers["Cache-Control"] == "public, max-age=1"
        assert headers["Access-Control-Allow-Origin"] == "*"
        playlist = body.decode()
        assert playlist.startswith("#EXTM3U") and "#EXT-X-TARGETDURATION:1" in playlist
        segment = re.findall(r"^([0-9a-f]{8}-[0-9]{6}\.m4s)$", playlist, re.MULTILINE)[0]
        init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist)
        assert init is not None

        # Revalidation: the same playlist is a 304 (unless a segment came in between).
        status, again, body = await get(
            http, f"{base}/index.m3u8", **{"If-None-Match": headers["ETag"]}
        )
        assert (status == 304 and body == b"") or (status == 200 and body.decode() != playlist)
        assert "Last-Modified" in again

        for name in (init.group(1), segment):
            status, headers, body = await get(http, f"{base}/{name}")
            assert status == 200 and len(body) > 100
            assert headers["Content-Type"] == "audio/mp4"
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert headers["ETag"].startswith('"') and "Last-Modified" in headers
            status, _, body = await get(
                http, f"{base}/{name}", **{"If-None-Match": headers["ETag"]}
            )
            assert status == 304 and body == b""
        # Bodies sent: one each (the 304s sent none).
        assert server.broadcasts.served(room.room_id) == {init.group(1): 1, segment: 1}

        # Not the writer's files, nor anything outside the room's directory.
        for bad in (
            "../../../etc/passwd",
            "..%2f..%2fpanggung.db",
            "index.m3u8.tmp",
            f"{segment}.part",
            "ffffffff-999999.m4s",
        ):
            status, _, _ = await get(http, f"{base}/{bad}")
            assert status == 404, bad
        status, _, _ = await get(http, f"{server.http_url}/hls/nosuchroom/index.m3u8")
        assert status == 404

        # The room ends: the stream goes, and so do its files.
        directory = server.broadcasts.directory / room.room_id
        assert any(directory.glob("*/*.m4s"))
        await host.request(EndRoom())
        await server.broadcasts.sweep()
        assert not directory.exists()
        status, _, _ = await get(http, f"{base}/index.m3u8")
        assert status == 404


async def test_an_invite_only_room_streams_only_to_its_members_with_a_token(
    server: RunningServer, make_client: ClientFactory
) -> None:
    host = await make_client("gatekeeper")
    guest = await make_client("guest")
    outsider = await make_client("outsider")
    room = await host.create_room("Members only", invite_only=True)
    invite = await host.conn.call_for(CreateInvite(), InviteCreated)
    await guest.join(room.room_id, invite.code)
    speak(server, room.room_id)
    base = f"{server.http_url}/hls/{room.room_id}"
    broadcasts = server.broadcasts
    guest_token = broadcasts.token_for(room.room_id, guest.user_id)
    async with aiohttp.ClientSession() as http:
        # Without a token the room does not exist, as in the directory.
        assert (await get(http, f"{base}/index.m3u8"))[0] == 404
        status, headers, body = await get(http, f"{base}/t/{guest_token}/index.m3u8")
        assert status == 200
        assert headers["Cache-Control"] == "private, max-age=1"  # never in a shared cache
        assert "Access-Control-Allow-Origin" not in headers
        segment = re.findall(r"^([0-9a-f]{8}-[0-9]{6}\.m4s)$", body.decode(), re.MULTILINE)[0]
        status, headers, _ = await get(http, f"{base}/t/{guest_token}/{segment}")
        assert status == 200 and headers["Cache-Control"].startswith("private,")
        # The public route does not serve a private room's segments either.
        assert (await get(http, f"{base}/{segment}"))[0] == 404

        # Signed for someone who is not a member, for another room, or forged: 404.
        outsider_token = broadcasts.token_for(room.room_id, outsider.user_id)
        other_room = broadcasts.token_for("another", guest.user_id)
        forged = guest_token[:-4] + ("AAAA" if not guest_token.endswith("AAAA") else "BBBB")
        for token in (outsider_token, other_room, forged):
            assert (await get(http, f"{base}/t/{token}/index.m3u8"))[0] == 404, token

        # Banned: the same token stops working at once.
        await host.request(Ban(user_id=guest.user_id))
        await host.wait_until(lambda m: guest.user_id not in m.members)
        assert (await get(http, f"{base}/t/{guest_token}/index.m3u8"))[0] == 404
        host_token = broadcasts.token_for(room.room_id, host.user_id)
        assert (await get(http, f"{base}/t/{host_token}/index.m3u8"))[0] == 200


async def test_an_expired_token_is_refused(
    server: RunningServer, make_client: ClientFactory
) -> None:
    host = await make_client("host")
    room = await host.create_room("Members only", invite_only=True)
    tokens = server.broadcasts.tokens
    fresh = tokens.issue(room.room_id, host.user_id, now=1e9)
    assert tokens.verify(room.room_id, fresh, now=1e9 + tokens.lifetime - 1) == host.user_id
    assert tokens.verify(room.room_id, fresh, now=1e9 + tokens.lifetime) is None
    async with aiohttp.ClientSession() as http:
        url = f"{server.http_url}/hls/{room.room_id}/t/{fresh}/index.m3u8"
        assert (await get(http, url))[0] == 404


async def test_nobody_listening_stops_the_writer(
    sqlite_url: str, tmp_path: Path, make_client: ClientFactory
) -> None:
    server = await start_server(
        config_for(sqlite_url, hls_dir=tmp_path / "hls2", hls_idle_timeout=0.5)
    )
    try:
        host_client = await make_client("host", url=server.url)
        room = await host_client.create_room("Briefly on air")
        async with aiohttp.ClientSession() as http:
            url = f"{server.http_url}/hls/{room.room_id}/index.m3u8"
            assert (await get(http, url))[0] == 200
            assert server.broadcasts.streaming(room.room_id)
            await asyncio.sleep(0.6)
            await server.broadcasts.sweep()
            assert not server.broadcasts.streaming(room.room_id)
            assert not (server.broadcasts.directory / room.room_id).exists()
            # Asked for again, it starts again, under new segment names.
            assert (await get(http, url))[0] == 200
    finally:
        await server.stop()
    assert not (tmp_path / "hls2" / str(os.getpid())).exists()


async def test_without_media_the_stream_is_unavailable(
    sqlite_url: str, tmp_path: Path, make_client: ClientFactory
) -> None:
    server = await start_server(config_for(sqlite_url, media=False, hls_dir=tmp_path / "hls3"))
    try:
        host = await make_client("host", url=server.url)
        room = await host.create_room("Signaling only")
        async with aiohttp.ClientSession() as http:
            status, headers, body = await get(
                http, f"{server.http_url}/hls/{room.room_id}/index.m3u8"
            )
        assert status == 503 and "--no-media" in body.decode() and "Retry-After" in headers
    finally:
        await server.stop()
