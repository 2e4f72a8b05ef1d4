"""The control channel (a Unix socket; loopback TCP with a secret, as on
Windows), the token store without a keyring, and settings."""

import asyncio
import json
import socket
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.client.app_settings import JsonSettingsStore, Settings
from app.client.audio_backend import PullAudio
from app.client.control import (
    ControlServer,
    Transport,
    control_address,
    default_transport,
    send_command,
    socket_path,
)
from app.client.control_commands import ControlCommands
from app.client.desktop_session import DesktopSession
from app.client.secrets import TokenStore
from tests.client import memory_keyring


async def echo(command: dict[str, object]) -> dict[str, object]:
    return {"ok": True, "echo": command.get("cmd")}


def test_the_platform_picks_its_transport(tmp_path: Path) -> None:
    # Linux has Unix sockets; Windows gets loopback TCP (forced in the tests below).
    assert default_transport() is Transport.UNIX
    unix, tcp = control_address(tmp_path), control_address(tmp_path, Transport.TCP)
    assert unix.path == socket_path(tmp_path) and tcp.path != unix.path
    assert control_address(tmp_path / "other", Transport.TCP).path != tcp.path


@pytest.mark.parametrize("transport", list(Transport))
async def test_control_round_trip(tmp_path: Path, transport: Transport) -> None:
    seen: list[dict[str, object]] = []

    async def handle(command: dict[str, object]) -> dict[str, object]:
        seen.append(command)
        return await echo(command)

    address = control_address(tmp_path / ("a very long config directory name" * 3), transport)
    assert len(str(address.path)) < 100
    server = ControlServer(address, handle)
    await server.start()
    try:
        # The socket, or the file with the port and secret: this user only.
        assert stat.S_IMODE(address.path.stat().st_mode) & 0o077 == 0
        reply = await asyncio.to_thread(send_command, address, {"cmd": "status"})
        assert reply == {"ok": True, "echo": "status"}
        # A second app with the same config refuses to start, and leaves
        # the first one's file alone.
        with pytest.raises(RuntimeError, match="another Panggung"):
            await ControlServer(address, handle).start()
        assert (await asyncio.to_thread(send_command, address, {"cmd": "x"}))["ok"]
    finally:
        await server.close()
    assert not address.path.exists()
    # The handler never sees the secret.
    assert seen == [{"cmd": "status"}, {"cmd": "x"}]
    with pytest.raises(OSError):
        send_command(address, {"cmd": "status"})


async def request_line(port: int, line: bytes) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(line + b"\n")
    reply = json.loads(await reader.readline())
    writer.close()
    await writer.wait_closed()
    assert isinstance(reply, dict)
    return reply


async def test_tcp_refuses_a_wrong_or_missing_secret(tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []

    async def handle(command: dict[str, object]) -> dict[str, object]:
        seen.append(command)
        return {"ok": True}

    address = control_address(tmp_path, Transport.TCP)
    server = ControlServer(address, handle)
    await server.start()
    try:
        info = json.loads(address.path.read_text())
        port, secret = info["port"], info["secret"]
        assert len(secret) >= 32
        for line in (
            json.dumps({"cmd": "quit"}),
            json.dumps({"cmd": "quit", "secret": secret[:-1] + "x"}),
            json.dumps({"cmd": "quit", "secret": 1}),
            json.dumps({"cmd": "ping", "secret": ""}),
        ):
            reply = await request_line(port, line.encode())
            assert reply["ok"] is False and "refused" in str(reply["error"])
        assert seen == []
        right = await request_line(port, json.dumps({"cmd": "quit", "secret": secret}).encode())
        assert right == {"ok": True} and seen == [{"cmd": "quit"}]
    finally:
        await server.close()


async def test_a_stale_unix_socket_is_replaced(tmp_path: Path) -> None:
    address = control_address(tmp_path, Transport.UNIX)
    # A crash leaves the socket file behind, with nobody listening.
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(address.path))
    dead.close()
    assert address.path.exists()
    server = ControlServer(address, echo)
    await server.start()
    try:
        assert (await asyncio.to_thread(send_command, address, {"cmd": "status"}))["ok"]
    finally:
        await server.close()


async def test_a_stale_port_file_is_replaced(tmp_path: Path) -> None:
    address = control_address(tmp_path, Transport.TCP)

    # After a crash, the port in the file may belong to another program by now.
    async def stranger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        writer.close()

    other = await asyncio.start_server(stranger, "127.0.0.1", 0)
    other_port = other.sockets[0].getsockname()[1]
    try:
        for leftover in (
            json.dumps({"port": other_port, "secret": "old"}),  # someone else's port
            json.dumps({"port": 9, "secret": "old"}),  # nobody there
            '{"port": 12',  # cut short by the crash
        ):
            address.path.write_text(leftover)
            server = ControlServer(address, echo)
            await server.start()
            try:
                info = json.loads(address.path.read_text())
                assert info["port"] != other_port and info["secret"] != "old"
                reply = await asyncio.to_thread(send_command, address, {"cmd": "status"})
                assert reply == {"ok": True, "echo": "status"}
            finally:
                await server.close()
    finally:
        other.close()
        await other.wait_closed()


async def test_a_failing_command_gets_an_answer(tmp_path: Path) -> None:
    # Joining before signing in: an error in the reply, not a dropped line
    # (which the command line would take for "the app is not running").
    session = DesktopSession("ws://127.0.0.1:9/ws", TokenStore(), PullAudio())
    commands = ControlCommands(session)
    reply = await commands({"cmd": "join", "link": "ROOM"})
    assert reply["ok"] is False and reply["error"] == "not signed in"
    # The app's window takes a link it cannot join yet, to join after sign-in.
    later: list[str] = []
    commands = ControlCommands(session, join_later=later.append)
    reply = await commands({"cmd": "join", "link": "panggung://h:1/room/R"})
    assert reply["ok"] is True and later == ["panggung://h:1/room/R"]

    async def broken(command: dict[str, object]) -> dict[str, object]:
        raise KeyError("surprise")

    address = control_address(tmp_path, Transport.TCP)
    server = ControlServer(address, broken)
    await server.start()
    try:
        reply = await asyncio.to_thread(send_command, address, {"cmd": "status"})
        assert reply["ok"] is False and "surprise" in str(reply["error"])
    finally:
        await server.close()


async def test_health_reports_the_process_figures() -> None:
    import os
    import sys

    import psutil

    session = DesktopSession("ws://127.0.0.1:9/ws", TokenStore(), PullAudio())
    reply = await ControlCommands(session)({"cmd": "health"})
    health = reply["health"]
    assert reply["ok"] is True and isinstance(health, dict)
    assert reply["status"] == session.status()
    rss = psutil.Process(os.getpid()).memory_info().rss
    assert 0.5 * rss < int(str(health["rss_bytes"])) < 2 * rss
    assert abs(int(str(health["none_refcount"])) - sys.getrefcount(None)) < 1000
    assert int(str(health["tasks"])) >= 1 and int(str(health["open_files"])) > 0
    assert "health" not in await ControlCommands(session)({"cmd": "status"})


def test_without_a_keyring_the_token_stays_in_memory() -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        store = TokenStore()
        assert not store.persistent and store.problem and "keyring" in store.problem
        store.set("acct", "secret-token")
        assert store.get("acct") == "secret-token"
        store.delete("acct")
        assert store.get("acct") is None
    finally:
        memory_keyring.install()


def test_settings_round_trip_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    JsonSettingsStore(path).save(Settings(username="ayu", ptt_mode="latch", ptt_tail_ms=500))
    assert JsonSettingsStore(path).load() == Settings("ayu", "latch", 500)
    path.write_text(json.dumps({"ptt_mode": "shout", "ptt_tail_ms": 99999, "x": 1}))
    assert JsonSettingsStore(path).load() == Settings("", "hold", 200)  # out of range: the default
    path.write_text("{not json")
    assert JsonSettingsStore(path).load() == Settings()
