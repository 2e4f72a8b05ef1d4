"""The real `panggung` process, driven by `panggung ptt …` and `panggung status`
through its control socket, against a server in this test on 127.0.0.1."""

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.client.session import RoomClient
from app.server.app import RunningServer, ServerConfig, start_server
from tests.client.desktop_support import until
from tests.support.app_log import wait_for_event

ROOT = Path(__file__).resolve().parents[2]
PANGGUNG = Path(sys.executable).with_name("panggung")
PASSWORD = "correct horse battery"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(
        ServerConfig(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", host="127.0.0.1", port=0)
    )
    yield running
    await running.stop()


def app_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHON_KEYRING_BACKEND="tests.ui.file_keyring.FileKeyring",
        PANGGUNG_TEST_KEYRING=str(tmp_path / "keyring.json"),
        QT_QPA_PLATFORM="offscreen",
    )
    return env


async def panggung(config: Path, env: dict[str, str], *args: str) -> dict[str, object]:
    """Run a `panggung` command (without blocking the server on this loop)."""
    proc = await asyncio.create_subprocess_exec(
        str(PANGGUNG),
        "--config",
        str(config),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert out, f"no reply from `panggung {' '.join(args)}`: {err.decode()}"
    reply: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return reply


def status_of(reply: dict[str, object]) -> dict[str, object]:
    status = reply["status"]
    assert isinstance(status, dict)
    return status


async def test_cli_drives_the_running_app(server: RunningServer, tmp_path: Path) -> None:
    # An account with a room; the app resumes its saved token and takes the
    # host's place in the room when told to join it.
    owner = RoomClient(server.url, client_name="test", reconnect=False)
    await owner.connect()
    auth = await owner.register("ayu", PASSWORD)
    room = await owner.create_room("Shortcut test")
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"username": "ayu"}))
    (tmp_path / "keyring.json").write_text(json.dumps({f"panggung/{server.url}|ayu": auth.token}))
    env = app_env(tmp_path)
    # A file, not a pipe: nobody reads the app's log while it runs, and a
    # full pipe would block it.
    log_path = tmp_path / "app.log"
    app_log = log_path.open("wb")

    app = await asyncio.create_subprocess_exec(
        str(PANGGUNG),
        "--server",
        server.url,
        "--config",
        str(config),
        "--offscreen",
        "--verbose",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=app_log,
    )
    try:
        assert app.stdout is not None
        ready = await wait_for_event(app.stdout, "ready")
        assert ready["event"] == "ready" and ready["server"] == server.url

        async def phase() -> object:
            return status_of(await panggung(config, env, "status"))["phase"]

        for _ in range(100):
            if await phase() == "directory":
                break
            await asyncio.sleep(0.2)
        assert await phase() == "directory"

        joined = await panggung(config, env, "join", room.room_id)
        assert joined["ok"] is True, joined
        assert status_of(joined)["role"] == "host"
        await until(lambda: owner.kicked == "replaced", what="app took the place")

        talking = server.hub.talking  # the server's push-to-talk state (the core's)
        pressed = await panggung(config, env, "ptt", "press")
        assert pressed["ok"] is True and status_of(pressed)["ptt_acked"] is True
        assert talking(room.room_id) == {auth.user_id}
        released = await panggung(config, env, "ptt", "release")
        assert status_of(released)["ptt_acked"] is False
        assert talking(room.room_id) == set()
        toggled = await panggung(config, env, "ptt", "toggle")
        assert status_of(toggled)["ptt_live"] is True and status_of(toggled)["ptt_acked"] is True
        assert talking(room.room_id) == {auth.user_id}
        toggled = await panggung(config, env, "ptt", "toggle")
        assert status_of(toggled)["ptt_acked"] is False

        quit_reply = await panggung(config, env, "quit")
        assert quit_reply["ok"] is True
        try:
            assert await asyncio.wait_for(app.wait(), 60) == 0
        except TimeoutError:
            pytest.fail("the app did not quit:\n" + log_path.read_text()[-5000:])
        # The app left the room on the way out.
        assert auth.user_id not in server.hub.talking(room.room_id)
    finally:
        if app.returncode is None:
            app.kill()
            await app.wait()
        app_log.close()
        await owner.close()
    # Nothing left to drive: the command says so.
    gone = await asyncio.create_subprocess_exec(
        str(PANGGUNG),
        "--config",
        str(config),
        "status",
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await gone.communicate()
    assert gone.returncode == 2 and b"not running" in err
