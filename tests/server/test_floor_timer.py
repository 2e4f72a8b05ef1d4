"""The floor's timer runs a room when its floor is due, once, and forgets a
run that is no longer due."""

import asyncio
import time

from app.server.floor_timer import FloorTimer


async def test_it_runs_the_room_once_at_its_due_time_and_not_before() -> None:
    ran: list[tuple[str, float]] = []
    fired = asyncio.Event()

    def run(room_id: str) -> None:
        ran.append((room_id, time.monotonic()))
        fired.set()

    timer = FloorTimer(time.monotonic, run)
    due = time.monotonic() + 0.2
    timer.arm("r", due)
    timer.arm("r", due)  # the same due time: still one run
    await asyncio.wait_for(fired.wait(), 5)
    assert [room for room, _ in ran] == ["r"] and ran[0][1] >= due
    await asyncio.sleep(0.3)
    assert len(ran) == 1


async def test_a_run_no_longer_due_is_forgotten() -> None:
    ran: list[str] = []
    timer = FloorTimer(time.monotonic, ran.append)
    timer.arm("r", time.monotonic() + 0.05)
    timer.arm("r", None)
    timer.arm("s", time.monotonic() + 0.05)
    timer.close()
    await asyncio.sleep(0.2)
    assert ran == []
