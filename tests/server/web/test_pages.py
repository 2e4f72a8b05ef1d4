"""The web listener's HTTP side against the real server: the room page, its
files, the headers, and the Origin and Host checks (no browser needed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from app.client.session import RoomClient
from app.server.app import RunningServer, ServerConfig, start_server
from app.server.web.pages import CSP, FILES, STATIC

PASSWORD = "correct horse battery"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(
        ServerConfig(db_url=f"sqlite:///{tmp_path / 'p.db'}", port=0, media=False)
    )
    yield running
    await running.stop()


@pytest.fixture
async def host(server: RunningServer) -> AsyncIterator[RoomClient]:
    client = RoomClient(server.url, client_name="test", reconnect=False)
    await client.connect()
    await client.register("ayu", PASSWORD)
    yield client
    await client.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_public_rooms_page_carries_its_preview_escaped(
    server: RunningServer, host: RoomClient, http: aiohttp.ClientSession
) -> None:
    room = await host.create_room('Kopi & <b>"teh"</b>', topic="<script>x()</script>")
    async with http.get(f"{server.http_url}/room/{room.room_id}") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/html"
        assert resp.headers["Content-Security-Policy"] == CSP
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Cache-Control"] == "no-store"
        page = await resp.text()
    assert "Kopi &amp; &lt;b&gt;&quot;teh&quot;&lt;/b&gt;" in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "<b>" not in page and "<script>x()" not in page
    assert f'<meta name="panggung-room" content="{room.room_id}">' in page
    assert '<meta name="panggung-known" content="true">' in page
    assert ">ayu<" in page  # the host's name


async def test_invite_only_ended_and_unknown_rooms_look_alike(
    server: RunningServer, host: RoomClient, http: aiohttp.ClientSession
) -> None:
    room = await host.create_room("Secret plans", invite_only=True)
    pages = []
    for room_id in (room.room_id, "no-such-room"):
        async with http.get(f"{server.http_url}/room/{room_id}") as resp:
            assert resp.status == 200
            pages.append((await resp.text()).replace(room_id, "ID"))
    assert pages[0] == pages[1]
    assert "Secret plans" not in pages[0]
    assert '<meta name="panggung-known" content="false">' in pages[0]


async def test_only_the_pages_own_files_are_served(
    server: RunningServer, http: aiohttp.ClientSession
) -> None:
    for name, kind in FILES.items():
        async with http.get(f"{server.http_url}/web/{name}") as resp:
            assert resp.status == 200, name
            assert resp.content_type == kind
            assert await resp.read() == (STATIC / name).read_bytes()
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
    for bad in ("room.html", "..%2Fpages.py", "%2e%2e/pages.py", "nope.js", "app.js%00"):
        async with http.get(f"{server.http_url}/web/{bad}") as resp:
            assert resp.status == 404, bad
    async with http.get(f"{server.http_url}/room/bad%20id") as resp:
        assert resp.status == 404


async def test_a_foreign_origin_is_refused_and_the_pages_own_is_let_in(
    server: RunningServer, http: aiohttp.ClientSession
) -> None:
    own = server.http_url  # http://127.0.0.1:PORT
    for origin, allowed in [
        (None, True),  # the desktop app and the bot send none
        (own, True),
        (own.replace("127.0.0.1", "localhost"), False),  # another origin, same machine
        ("https://evil.example", False),
        ("null", False),
        (f"{own}.evil.example", False),
    ]:
        headers = {"Origin": origin} if origin else {}
        try:
            async with http.ws_connect(server.url, headers=headers) as ws:
                await ws.send_json({"type": "hello", "id": 1, "protocol": 1})
                reply = await ws.receive_json()
                assert allowed, f"{origin} was let in"
                assert reply["id"] == 1
        except aiohttp.WSServerHandshakeError as exc:
            assert not allowed, f"{origin} was refused"
            assert exc.status == 403
    async with http.get(
        f"{server.http_url}/healthz", headers={"Origin": "https://evil.example"}
    ) as resp:
        assert resp.status == 403


async def test_a_rebound_host_name_gets_no_page(
    server: RunningServer, host: RoomClient, http: aiohttp.ClientSession
) -> None:
    """DNS rebinding: evil.example resolving to 127.0.0.1 makes its page same-origin."""
    room = await host.create_room("Kopi")
    port = server.port
    url = f"{server.http_url}/room/{room.room_id}"
    async with http.get(url, headers={"Host": f"evil.example:{port}"}) as resp:
        assert resp.status == 421
    async with http.get(url, headers={"Host": f"localhost:{port}"}) as resp:
        assert resp.status == 200
    rebound = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with http.ws_connect(server.url, headers=rebound):
            pass
    assert refused.value.status == 403
