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


async def test_shift_moves_the_phase_sooner_and_keeps_it() -> None:
    times: list[float] = []
    loop = asyncio.get_running_loop()
    third, eighth = asyncio.Event(), asyncio.Event()

    def tick() -> None:
        times.append(loop.time())
        if len(times) == 3:
            third.set()
        if len(times) == 8:
            eighth.set()

    ticker = Ticker(tick, period=0.05)
    ticker.start()
    await third.wait()
    ticker.shift(0.02)
    await eighth.wait()
    await ticker.stop()
    # Ticks follow absolute deadlines: compare them with the grid from the first.
    offsets = [(t - times[0]) - i * 0.05 for i, t in enumerate(times)]
    before, after = offsets[1:3], offsets[5:8]
    assert all(abs(o) < 0.015 for o in before), offsets
    assert all(abs(o + 0.02) < 0.015 for o in after), offsets  # 20 ms sooner, for good
    assert abs(ticker.shifted - 0.02) < 1e-9


async def test_shift_is_bounded_below_a_period() -> None:
    ticks: asyncio.Queue[None] = asyncio.Queue()
    ticker = Ticker(lambda: ticks.put_nowait(None), period=0.02)
    ticker.shift(1.0)  # taken off the deadline after the first tick, at most 0.9 period
    ticker.start()
    for _ in range(2):
        await asyncio.wait_for(ticks.get(), 5)
    assert abs(ticker.shifted - 0.9 * 0.02) < 1e-12
    ticker.shift(-1.0)  # never later
    for _ in range(2):
        await asyncio.wait_for(ticks.get(), 5)
    await ticker.stop()
    assert abs(ticker.shifted - 0.9 * 0.02) < 1e-12
