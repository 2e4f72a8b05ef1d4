"""kill -9: what was saved comes back, the raised hands and their order too."""

import asyncio
import contextlib
import signal
import sqlite3
import time
from pathlib import Path

from tests.server.http.test_cli import ServerProcess

from .conftest import Peers


def _hands_saved(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM room_members WHERE hand_raised_at IS NOT NULL"
        ).fetchone()
    return int(count)


async def test_raised_hands_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "kill.db"
    first = ServerProcess(f"sqlite:///{path}", "--no-media", "--grace", "60")
    async with contextlib.AsyncExitStack() as stack:
        peers = Peers(first.url, stack)
        host = await peers.user("host9")
        room_id = (await host.ok("create_room", title="Hands up"))["room"]["room_id"]
        early, late = await peers.user("early"), await peers.user("late")
        for peer in (early, late):
            await peer.ok("join_room", room_id=room_id)
            await peer.ok("raise_hand")
        raised = {
            m["user_id"]: m["hand_raised_at"]
            for m in (await host.ok("sync"))["room"]["members"]
            if m["hand_raised_at"] is not None
        }
        # The save happens behind the replies: wait until it is on disk.
        deadline = time.monotonic() + 10
        while await asyncio.to_thread(_hands_saved, path) < 2:
            assert time.monotonic() < deadline, "the hands were never saved"
            await asyncio.sleep(0.05)
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=10)

    second = ServerProcess(f"sqlite:///{path}", "--no-media", "--grace", "60")
    try:
        async with contextlib.AsyncExitStack() as stack:
            peers = Peers(second.url, stack)
            back = await peers.greeted()
            await back.ok("resume", token=late.token)
            room = (await back.ok("join_room", room_id=room_id))["room"]
            hands = sorted(
                (m["hand_raised_at"], m["user_id"])
                for m in room["members"]
                if m["hand_raised_at"] is not None
            )
            assert hands == sorted((at, uid) for uid, at in raised.items())
            assert [uid for _, uid in hands] == [early.user_id, late.user_id]  # the queue
    finally:
        second.stop()
