import asyncio
import time

from app.media.server.ticker import Ticker


async def test_ticks_at_fixed_rate() -> None:
    ticker = Ticker(lambda: None, period=0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    ticker.start()
    assert ticker.running
    await asyncio.sleep(0.5)
    await ticker.stop()
    elapsed = loop.time() - started
    assert not ticker.running
    # Robust on a loaded machine: count against the time that really passed;
    # skipped ticks (stalls) and a few not yet run at stop are allowed for.
    due = elapsed / 0.01
    assert due - 8 <= ticker.ticks + ticker.skipped <= due + 2
    assert ticker.ticks >= 20


async def test_stall_skips_instead_of_bursting() -> None:
    stalled = False

    def on_tick() -> None:
        nonlocal stalled
        if not stalled:
            stalled = True
            time.sleep(0.2)  # 20 periods: far beyond max_catch_up

    ticker = Ticker(on_tick, period=0.01, max_catch_up=3)
    ticker.start()
    await asyncio.sleep(0.35)
    await ticker.stop()
    assert ticker.skipped >= 15
    assert ticker.max_lateness >= 0.15


async def test_exception_in_tick_does_not_stop_clock() -> None:
    count = 0

    def on_tick() -> None:
        nonlocal count
        count += 1
        raise RuntimeError("boom")

    ticker = Ticker(on_tick, period=0.01)
    ticker.start()
    await asyncio.sleep(0.1)
    await ticker.stop()
    assert count >= 5
