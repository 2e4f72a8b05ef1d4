"""panggung-bot under floor control: a host bot switches it on and takes the
floor; a speaker bot waits for the floor while someone holds it, and gets it
once they let go."""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.client.session import RoomClient
from app.protocol.requests import ApproveHand, PushToTalk, SetFloorControl
from tests.server.http.conftest import PASSWORD
from tests.server.http.test_cli import BIN, ServerProcess, bot, last_json


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(f"sqlite:///{tmp_path / 'bot.db'}", "--no-media")
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


def test_a_host_bot_switches_floor_control_on_and_takes_the_floor(
    running: ServerProcess,
) -> None:
    result = bot(
        running.url,
        *("--user", "ayu", "--register", "--create", "One at a time"),
        *("--floor-control", "on", "--max-turn", "30", "--take-floor", "0.5", "--json"),
    )
    lines = result.stderr.splitlines()  # with --json the narrative goes to stderr
    assert "floor control on, turns of at most 30 s" in lines
    assert lines.index("holds the floor") < lines.index("released the floor")
    assert "waiting for the floor" not in lines
    room = last_json(result.stdout)["room"]
    assert isinstance(room, dict)
    assert room["floor"] == {
        "enabled": True,
        "max_turn": 30.0,
        "holder": None,
        "since": None,
        "queue": [],
    }


async def test_a_speaker_bot_waits_for_the_floor_then_takes_it(running: ServerProcess) -> None:
    host = RoomClient(running.url, client_name="test")
    await host.connect()
    await host.register("host", PASSWORD)
    try:
        model = await host.create_room("Queue")
        await host.request(SetFloorControl(enabled=True))
        await host.request(PushToTalk(pressed=True))
        await host.wait_until(lambda m: m.floor.holder == host.user_id)
        proc = await asyncio.create_subprocess_exec(
            str(BIN / "panggung-bot"),
            *("--server", running.url, "--user", "budi", "--register"),
            *("--join", model.room_id, "--raise-hand", "--take-floor", "0.5"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PANGGUNG_PASSWORD": PASSWORD},
        )
        try:
            hand = await host.wait_until(lambda m: bool(m.hand_queue()), timeout=30)
            budi = hand.hand_queue()[0].user_id
            await host.request(ApproveHand(user_id=budi))
            await host.wait_until(lambda m: m.floor.queue == [budi], timeout=30)
            await host.request(PushToTalk(pressed=False))
            await host.wait_until(lambda m: m.floor.holder == budi)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode == 0, err.decode()
        lines = out.decode().splitlines()
        order = ["waiting for the floor", "holds the floor", "released the floor"]
        assert [lines.index(line) for line in order] == sorted(lines.index(x) for x in order)
        await host.wait_until(lambda m: m.floor.holder is None and not m.floor.queue)
    finally:
        await asyncio.wait_for(host.close(), 10)
