"""AppEventLoop: asyncio work that Qt runs while run_until_complete winds
down still finds its loop (plain qasync clears it first)."""

import asyncio

import qasync
from PySide6.QtWidgets import QApplication

from app.ui.application import AppEventLoop


def steps_after_completion(loop: asyncio.AbstractEventLoop) -> list[str]:
    seen: list[str] = []

    async def late() -> None:
        try:
            asyncio.get_running_loop()
            seen.append("loop")
        except RuntimeError:
            seen.append("no loop")

    def callback() -> None:
        seen.append("callback")
        loop.create_task(late())

    async def main() -> None:
        loop.call_soon(callback)  # due just as main() completes: the last round of Qt events

    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main())
        loop.run_until_complete(asyncio.sleep(0.01))  # let any leftover step run
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return seen


def test_late_steps_find_the_running_loop(qapp: QApplication) -> None:
    seen = steps_after_completion(AppEventLoop(qapp))
    assert seen == ["callback", "loop"]


def test_plain_qasync_would_lose_it(qapp: QApplication) -> None:
    # Why AppEventLoop exists (when a qasync release fixes this, this test
    # fails: then AppEventLoop can go).
    assert steps_after_completion(qasync.QEventLoop(qapp)) == ["callback", "no loop"]
