"""Background tasks stop at shutdown even when a library swallowed the first
cancellation (redis-py can, inside a command): a single cancel-and-await
then hangs the server's stop forever."""

import asyncio
import logging
from pathlib import Path

import pytest

from app.server.app import ServerConfig, start_server
from app.server.tasks import stop_tasks


async def test_a_loop_that_swallows_a_cancellation_is_cancelled_again() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if swallowed < 3:  # as a library that eats it and carries on
                    swallowed += 1
                    continue
                raise

    task = asyncio.get_running_loop().create_task(stubborn())
    await asyncio.sleep(0)
    stopping = asyncio.get_running_loop().create_task(stop_tasks([task], "test"))
    done, _ = await asyncio.wait({stopping}, timeout=5)
    assert stopping in done and task.cancelled() and swallowed == 3


async def test_a_failed_task_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    task = asyncio.get_running_loop().create_task(broken(), name="broken")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR):
        await stop_tasks([task], "test")
    assert "test task broken failed: boom" in caplog.text


async def test_the_server_stops_with_a_stubborn_background_task(tmp_path: Path) -> None:
    server = await start_server(
        ServerConfig(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", host="127.0.0.1", port=0)
    )
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            swallowed.set()
        await asyncio.sleep(10)  # carries on, as after a swallowed cancellation

    server.adopt(asyncio.get_running_loop().create_task(stubborn()))
    await asyncio.sleep(0)
    stopping = asyncio.get_running_loop().create_task(server.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)  # not wait_for: it would cancel
    assert stopping in done and swallowed.is_set()
