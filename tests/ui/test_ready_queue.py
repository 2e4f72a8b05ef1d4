"""AppEventLoop's ready queue: call_soon callbacks run in order, in rounds
behind one Qt timer, and Qt's own events still come between the rounds."""

import asyncio
from collections.abc import Callable

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.ui.application import AppEventLoop


def run(loop: asyncio.AbstractEventLoop, main: Callable[[], object]) -> object:
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main())  # type: ignore[arg-type]
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def test_callbacks_run_in_order_in_one_round(qapp: QApplication) -> None:
    loop = AppEventLoop(qapp)
    seen: list[int] = []
    errors: list[str] = []
    loop.set_exception_handler(lambda _l, context: errors.append(str(context["exception"])))

    def fail() -> None:
        raise ValueError("a callback that fails")

    async def main() -> int:
        await asyncio.sleep(0.01)
        before = loop._soon.rounds
        for i in range(1_000):
            loop.call_soon(seen.append, i)
            if i == 500:
                loop.call_soon(fail)
                loop.call_soon(seen.append, -1).cancel()
        done = loop.create_future()
        loop.call_soon(done.set_result, None)
        await done
        return loop._soon.rounds - before

    rounds = run(loop, main)
    assert seen == list(range(1_000))  # in order, past the failure, not the cancelled one
    assert errors == ["a callback that fails"]
    # One round ran all 1,002; the task's wake-up after `done` is the second.
    assert rounds == 2, rounds


def test_qt_events_come_between_rounds(qapp: QApplication) -> None:
    """A callback that queues itself again (as a busy task does) runs once a
    round, so a Qt timer due meanwhile fires long before the chain ends."""
    loop = AppEventLoop(qapp)
    steps = 0
    qt_fired_at: list[int] = []

    async def main() -> None:
        nonlocal steps
        finished = loop.create_future()

        def step() -> None:
            nonlocal steps
            steps += 1
            if steps < 5_000:
                loop.call_soon(step)
            else:
                finished.set_result(None)

        QTimer.singleShot(0, lambda: qt_fired_at.append(steps))
        loop.call_soon(step)
        await finished

    run(loop, main)
    assert steps == 5_000
    assert qt_fired_at and qt_fired_at[0] < 10, qt_fired_at


def test_fewer_qt_timers_than_plain_qasync(qapp: QApplication) -> None:
    """The same 200 task steps: plain qasync starts a Qt timer for each one."""

    def count_timers(loop: qasync.QEventLoop) -> tuple[int, int]:
        started = 0
        original = loop._timer.add_callback

        def counting(handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
            nonlocal started
            started += 1
            result: asyncio.Handle = original(handle, delay)
            return result

        loop._timer.add_callback = counting

        async def main() -> int:
            total = 0
            for i in range(200):
                await asyncio.sleep(0)  # one call_soon each
                total += i
            return total

        total = run(loop, main)
        assert total == sum(range(200))
        ready = getattr(loop, "_soon", None)
        return started, ready.rounds if ready is not None else 0

    plain, _ = count_timers(qasync.QEventLoop(qapp))
    ours, rounds = count_timers(AppEventLoop(qapp))
    assert plain >= 200
    assert ours == 0  # no qasync timer for a ready callback
    assert 200 <= rounds <= 210  # one round per step: each sleep(0) waits for the next round


def test_a_closed_loop_runs_nothing(qapp: QApplication) -> None:
    loop = AppEventLoop(qapp)
    seen: list[str] = []
    run(loop, lambda: asyncio.sleep(0))
    loop.call_soon(seen.append, "late")
    for _ in range(3):
        qapp.processEvents()
    assert seen == []
