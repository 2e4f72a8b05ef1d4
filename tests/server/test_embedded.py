"""The desktop app's embedded server: this computer only, or shared on the
local network (every interface, this machine's address in invite links).
Traffic stays on 127.0.0.1: the shared server is reached on loopback."""

import socket
from pathlib import Path

import pytest

from app.client.session import RoomClient
from app.protocol.links import parse_link
from app.protocol.replies import InviteCreated
from app.protocol.requests import CreateInvite
from app.server import embedded
from app.server.app import invite_address
from app.server.embedded import embedded_config, lan_address, start_embedded


def test_private_by_default_shared_on_every_interface() -> None:
    private = embedded_config(Path("/data"), share=False, lan="192.0.2.5")
    assert private.host == "127.0.0.1" and private.public_address is None
    assert private.gather_addresses() == ("127.0.0.1",)
    shared = embedded_config(Path("/data"), share=True, lan="192.0.2.5")
    assert shared.host == "0.0.0.0"
    assert shared.public_address == "192.0.2.5"
    assert shared.gather_addresses() == ("192.0.2.5", "127.0.0.1")
    offline = embedded_config(Path("/data"), share=True, lan=None)
    assert offline.host == "127.0.0.1"  # no network: nobody else could reach it anyway
    assert shared.db_url == private.db_url == "sqlite:////data/panggung.db"


def test_invite_address() -> None:
    assert invite_address(None, "127.0.0.1", 8765) == "127.0.0.1:8765"
    assert invite_address(None, "0.0.0.0", 8765) == "127.0.0.1:8765"
    assert invite_address("192.0.2.5", "0.0.0.0", 40001) == "192.0.2.5:40001"
    assert invite_address("rooms.example:443", "0.0.0.0", 40001) == "rooms.example:443"
    assert invite_address("[2001:db8::1]", "::", 5) == "[2001:db8::1]:5"


def test_lan_address_is_not_loopback() -> None:
    address = lan_address()
    assert address is None or not address.startswith("127.")


async def test_a_taken_port_falls_back_to_a_free_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(embedded, "PREFERRED_PORT", taken.getsockname()[1])
        server = await start_embedded(tmp_path, share=False)
        try:
            assert server.port not in (0, embedded.PREFERRED_PORT)
            assert server.url.startswith("ws://127.0.0.1:")
        finally:
            await server.stop()


async def test_shared_server_links_carry_the_lan_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "lan_address", lambda: "192.0.2.77")
    monkeypatch.setattr(embedded, "PREFERRED_PORT", 0)  # parallel tests: any free port
    server = await start_embedded(tmp_path, share=True)
    try:
        assert server.host == "0.0.0.0"
        assert server.url == f"ws://127.0.0.1:{server.port}/ws"  # the app itself: loopback
        host = RoomClient(server.url, client_name="test", reconnect=False)
        await host.connect()
        try:
            await host.register("ayu", "a-long-password")
            await host.create_room("Kitchen table", invite_only=True)
            invite = await host.conn.call_for(CreateInvite(), InviteCreated)
            link = parse_link(invite.link)
            assert link.server == f"192.0.2.77:{server.port}"
        finally:
            await host.close()
    finally:
        await server.stop()
