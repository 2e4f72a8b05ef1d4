"""`make run` without a display (issue 18, point 8): the server prints a
command that works as printed, a bot that exits leaves at once (only a
dropped connection gets the grace period), and the headless server and the
app's embedded server share one database file."""

import asyncio
import os
import sys
import time
from pathlib import Path

import platformdirs
import pytest

from app.client.session import RoomClient
from app.protocol.model import Role
from app.server import embedded
from app.server.app import ServerConfig, start_server
from app.server.embedded import embedded_config, start_embedded
from app.server.store.urls import default_db_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"


async def _line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    return (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().rstrip("\n")


async def test_the_printed_command_joins_gets_the_stage_and_leaves_cleanly(
    tmp_path: Path,
) -> None:
    server = await asyncio.create_subprocess_exec(
        str(BIN / "panggung-server"), "--port", "0", "--no-media", "--grace", "60",
        "--db", f"sqlite:///{tmp_path / 'demo.db'}", "--demo",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    watcher = None
    try:
        url = await _line(server)
        live = await _line(server)
        assert live.startswith("Demo room is live: ")
        room_id = live.removeprefix("Demo room is live: ")
        assert "another terminal" in await _line(server)
        command = (await _line(server)).strip()
        assert room_id in command and url in command

        watcher = RoomClient(url, client_name="test", reconnect=False)
        await watcher.connect()
        await watcher.register("watcher", PASSWORD)
        await watcher.join(room_id)
        # As printed, in a shell, from the directory `make run` runs in; PATH
        # without the venv, as a fresh terminal has it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANGGUNG_")}
        env["PATH"] = "/usr/bin:/bin"
        bot = await asyncio.create_subprocess_shell(
            command, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        guest = command.split("--user ")[1].split()[0]

        def guest_role() -> Role | None:
            model = watcher.model if watcher is not None else None
            found = [m for m in model.members.values() if m.name == guest] if model else []
            return found[0].role if found else None

        await watcher.wait_until(lambda _m: guest_role() is Role.SPEAKER, timeout=30)
        out, err = await asyncio.wait_for(bot.communicate(), 60)
        assert bot.returncode == 0, err.decode()
        assert "hand_approved" in out.decode()
        # It exited: gone for everyone now, not "reconnecting" for 60 s.
        gone_by = time.monotonic() + 5
        await watcher.wait_until(lambda _m: guest_role() is None, timeout=5)
        assert time.monotonic() < gone_by
    finally:
        if watcher is not None:
            await watcher.close()
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)


async def test_a_dropped_connection_still_gets_its_grace(tmp_path: Path) -> None:
    running = await start_server(
        ServerConfig(db_url=f"sqlite:///{tmp_path / 'g.db'}", port=0, media=False)
    )
    clients = []
    try:
        for name in ("host", "speaker"):
            client = RoomClient(running.url, client_name="test", reconnect=False)
            await client.connect()
            await client.register(name, PASSWORD)
            clients.append(client)
        host, speaker = clients
        model = await host.create_room("Grace")
        await speaker.join(model.room_id)
        from app.protocol.requests import AcceptInvite, InviteToStage

        await host.request(InviteToStage(user_id=speaker.user_id))
        await speaker.wait_until(lambda m: m.members[speaker.user_id].invited)
        await speaker.request(AcceptInvite())
        await host.wait_until(lambda m: m.role_of(speaker.user_id) is Role.SPEAKER)
        await speaker.close()  # no leave: as if the network went
        await host.wait_until(lambda m: not m.members[speaker.user_id].connected)
        await asyncio.sleep(1.0)
        assert speaker.user_id in host.model.members  # type: ignore[union-attr]
    finally:
        for client in clients:
            await client.close()
        await running.stop()


def test_the_app_and_the_server_share_one_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    data_dir = Path(platformdirs.user_data_dir("panggung"))  # the app's (desktop_main)
    assert default_db_url() == embedded_config(data_dir, share=False).db_url
    assert default_db_url().endswith("/panggung.db")


async def test_the_apps_old_rooms_db_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await start_server(
        ServerConfig(db_url=f"sqlite:///{tmp_path / 'rooms.db'}", port=0, media=False)
    )
    try:
        client = RoomClient(old.url, client_name="test", reconnect=False)
        await client.connect()
        await client.register("old-timer", PASSWORD)
        await client.close()
    finally:
        await old.stop()
    monkeypatch.setattr(embedded, "PREFERRED_PORT", 0)
    server = await start_embedded(tmp_path)
    try:
        assert (tmp_path / "panggung.db").exists() and not (tmp_path / "rooms.db").exists()
        client = RoomClient(server.url, client_name="test", reconnect=False)
        await client.connect()
        await client.login("old-timer", PASSWORD)  # the account came along
        await client.close()
    finally:
        await server.stop()
