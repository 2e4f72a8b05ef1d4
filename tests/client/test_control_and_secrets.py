"""The control socket, the token store without a keyring, and settings."""

import asyncio
import json
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.client.control import ControlServer, send_command, socket_path
from app.client.secrets import TokenStore
from app.client.settings import Settings
from tests.client import memory_keyring


async def test_control_socket_round_trip(tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []

    async def handle(command: dict[str, object]) -> dict[str, object]:
        seen.append(command)
        return {"ok": True, "echo": command.get("cmd")}

    path = socket_path(tmp_path / ("a very long config directory name" * 3))
    assert len(str(path)) < 100
    server = ControlServer(path, handle)
    await server.start()
    try:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
        reply = await asyncio.to_thread(send_command, path, {"cmd": "status"})
        assert reply == {"ok": True, "echo": "status"}
        # A second app with the same config refuses to start.
        with pytest.raises(RuntimeError, match="another Panggung"):
            await ControlServer(path, handle).start()
    finally:
        await server.close()
    assert not path.exists() and seen == [{"cmd": "status"}]


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
    Settings(username="ayu", ptt_mode="latch", ptt_tail_ms=500).save(path)
    assert Settings.load(path) == Settings("ayu", "latch", 500)
    path.write_text(json.dumps({"ptt_mode": "shout", "ptt_tail_ms": 99999, "x": 1}))
    assert Settings.load(path) == Settings("", "hold", 2000)
    path.write_text("{not json")
    assert Settings.load(path) == Settings()
