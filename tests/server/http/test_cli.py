"""The real `panggung-server` and `panggung-bot` processes."""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from app.protocol.model import Role
from app.protocol.requests import InviteToStage
from app.server.app import RunningServer

from .conftest import PASSWORD, ClientFactory

BIN = Path(sys.executable).parent


class ServerProcess:
    def __init__(self, db_url: str, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "panggung-server"), "--port", "0", "--db", db_url, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        self.extra_lines: list[str] = []

    def read_line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, err


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def running(db_file: str) -> Iterator[ServerProcess]:
    server = ServerProcess(db_file)
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


def bot(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PANGGUNG_PASSWORD": PASSWORD}
    result = subprocess.run(
        [str(BIN / "panggung-bot"), "--server", url, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def last_json(output: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return data


def test_first_line_is_the_websocket_url_and_health_answers(running: ServerProcess) -> None:
    assert running.url.startswith("ws://127.0.0.1:") and running.url.endswith("/ws")
    port = int(running.url.split(":")[2].split("/")[0])
    assert port > 0

    async def health() -> dict[str, object]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as reply,
        ):
            data: dict[str, object] = await reply.json()
            return data

    report = asyncio.run(health())
    assert report["status"] == "ok"
    # asyncio's own loop unless uvloop is asked for (see app/loops.py).
    assert report["loop"] == (
        "uvloop" if os.environ.get("PANGGUNG_LOOP") == "uvloop" else "asyncio"
    )


def test_uvloop_on_request(db_file: str) -> None:
    server = ServerProcess(db_file, "--loop", "uvloop", "--no-media")
    try:
        port = int(server.url.split(":")[2].split("/")[0])

        async def loop_name() -> object:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/healthz") as reply,
            ):
                return (await reply.json())["loop"]

        assert asyncio.run(loop_name()) == "uvloop"
        # The bot's own sign-in and room work on that server, as on asyncio's loop.
        bot(server.url, "--user", "ayu", "--register", "--list")
    finally:
        assert server.stop()[0] == 0


def test_an_unknown_loop_is_refused_clearly(
    db_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In this process: the refusal comes before the server starts anything.
    from app.server.main import main

    monkeypatch.setenv("PANGGUNG_LOOP", "tokio")
    assert main(["--port", "0", "--db", db_file, "--no-media"]) == 2
    assert "unknown event loop 'tokio'" in capsys.readouterr().err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown_keeps_committed_state(db_file: str, sig: int) -> None:
    first = ServerProcess(db_file)
    created = last_json(
        bot(first.url, "--user", "ayu", "--register", "--create", "Kept", "--json").stdout
    )
    code, err = first.stop(sig)
    assert code == 0, err
    assert "Traceback" not in err

    second = ServerProcess(db_file)
    try:
        listed = bot(second.url, "--user", "ayu", "--list")
        room = created["room"]
        assert isinstance(room, dict)
        assert room["room_id"] in listed.stdout and "'Kept'" in listed.stdout
    finally:
        assert second.stop()[0] == 0


def test_bot_creates_joins_raises_a_hand_and_accepts_an_invitation(running: ServerProcess) -> None:
    host = last_json(
        bot(running.url, "--user", "host", "--register", "--create", "Bots", "--json").stdout
    )
    room = host["room"]
    assert isinstance(room, dict)
    room_id = str(room["room_id"])
    # The host bot left quietly; its place is kept for the grace period, so the
    # room is still live for the others.
    joined = last_json(
        bot(
            running.url,
            "--user",
            "guest",
            "--register",
            "--join",
            room_id,
            "--raise-hand",
            "--json",
        ).stdout
    )
    guest_room = joined["room"]
    assert isinstance(guest_room, dict)
    members = {m["user_id"]: m for m in guest_room["members"]}
    me = members[joined["user_id"]]
    assert me["role"] == "listener" and me["hand_raised_at"] is not None


def test_bot_help_documents_its_flags() -> None:
    result = subprocess.run(
        [str(BIN / "panggung-bot"), "--help"], capture_output=True, text=True, check=True
    )
    for flag in (
        "--server",
        "--user",
        "--password",
        "--register",
        "--create",
        "--join",
        "--link",
        "--invite",
        "--raise-hand",
        "--accept-invite",
        "--stay",
        "--json",
        "--list",
    ):
        assert flag in result.stdout


def test_bot_reports_a_refusal_clearly(running: ServerProcess) -> None:
    result = bot(running.url, "--user", "nobody", "--join", "x", check=False)
    assert result.returncode == 1
    assert "bad_credentials" in result.stderr


def test_demo_mode_keeps_a_live_room(db_file: str) -> None:
    server = ServerProcess(db_file, "--demo")
    try:
        line = server.read_line()
        assert line.startswith("Demo room is live: ")
        room_id = line.rsplit(" ", 1)[1]
        listed = bot(server.url, "--user", "visitor", "--register", "--list")
        assert room_id in listed.stdout
    finally:
        assert server.stop()[0] == 0


async def test_bot_accepts_an_invitation_from_a_moderator(
    server: RunningServer, make_client: ClientFactory
) -> None:
    host = await make_client("moderator")
    room = await host.create_room("Invitations")
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "panggung-bot"),
        "--server",
        server.url,
        "--user",
        "invitee",
        "--register",
        "--join",
        room.room_id,
        "--accept-invite",
        "--stay",
        "30",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PANGGUNG_PASSWORD": PASSWORD},
    )
    try:
        await host.wait_until(lambda m: m.audience.listeners == 1, timeout=30)
        # A listener is only counted; the moderator finds them in the audience list.
        page = await host.list_audience(prefix="invit")
        [invitee] = [m.user_id for m in page.members]
        await host.request(InviteToStage(user_id=invitee))
        await host.wait_until(lambda m: m.role_of(invitee) == Role.SPEAKER, timeout=30)
    except BaseException:
        # Show what the bot saw before the test gives up on it.
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        print((await proc.communicate())[1].decode())
        raise
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    final = last_json(out.decode())
    seen = final["room"]
    assert isinstance(seen, dict)
    roles = {m["user_id"]: m["role"] for m in seen["members"]}
    assert roles[invitee] == "speaker"
