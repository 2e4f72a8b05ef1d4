"""The edge's HLS cache and single flight, without I/O (app/server/broadcast/edge_cache.py)."""

import asyncio
import math

import pytest

from app.server.broadcast.edge_cache import (
    ENTRY_OVERHEAD,
    EdgeCache,
    Fetched,
    SingleFlight,
    freshness,
    rest_of_second,
)


def answer(size: int, cache: str = "public, max-age=31536000, immutable") -> Fetched:
    return Fetched(200, b"x" * size, {"Cache-Control": cache, "ETag": f'"{size}"'})


def test_cache_control_decides_what_may_be_shared_and_for_how_long() -> None:
    assert freshness("public, max-age=1") == 1
    assert freshness("public, max-age=31536000, immutable") == math.inf
    assert freshness("private, max-age=31536000, immutable") is None
    assert freshness("no-store") is None
    assert freshness("") is None
    assert freshness("public, max-age=soon") is None


def test_a_playlist_is_kept_for_its_max_age_only() -> None:
    cache = EdgeCache()
    playlist = answer(10, "public, max-age=1")
    cache.put("r", "index.m3u8", playlist, 1, now=100.0)
    assert cache.get("r", "index.m3u8", 100.9) is playlist
    assert cache.get("r", "index.m3u8", 101.0) is None
    assert len(cache) == 0 and cache.bytes == 0


def test_segments_stay_while_the_room_is_listened_to_bounded_by_bytes() -> None:
    each = 100 + ENTRY_OVERHEAD
    cache = EdgeCache(max_bytes=3 * each, room_idle=30)
    for n in range(3):
        cache.put("r", f"seg{n}", answer(100), math.inf, now=0.0)
    assert cache.bytes == 3 * each
    cache.get("r", "seg0", 1.0)  # used: the least recently used is now seg1
    cache.put("r", "seg3", answer(100), math.inf, now=1.0)
    assert cache.bytes == 3 * each
    assert cache.get("r", "seg1", 1.0) is None
    assert all(cache.get("r", n, 1.0) is not None for n in ("seg0", "seg2", "seg3"))
    # Still listened to (the playlist asked for), the files stay; then not.
    cache.max_bytes = 10 * each
    cache.asked("r", 20.0)
    cache.put("other", "seg", answer(1), math.inf, now=45.0)
    assert cache.get("r", "seg0", 45.0) is not None
    cache.put("other", "seg2", answer(1), math.inf, now=51.0)
    assert cache.get("r", "seg0", 51.0) is None
    assert cache.bytes == 2 * (1 + ENTRY_OVERHEAD)


def test_an_answer_larger_than_the_whole_cache_is_not_kept() -> None:
    cache = EdgeCache(max_bytes=50 + ENTRY_OVERHEAD)
    cache.put("r", "big", answer(51), math.inf, now=0.0)
    assert len(cache) == 0 and cache.bytes == 0


def test_many_small_answers_are_bounded_too() -> None:
    cache = EdgeCache(max_bytes=100 * ENTRY_OVERHEAD)
    for n in range(10_000):  # 404s for made-up names: tiny bodies
        cache.put("r", f"made-up-{n}", Fetched(404, b"no", {}), 1, now=0.0)
    assert len(cache) < 100


async def test_concurrent_asks_share_one_run_and_one_giving_up_cancels_nothing() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    runs = 0
    release = asyncio.Event()

    async def work() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return 7

    waiters = [asyncio.create_task(flight.run("k", work)) for _ in range(50)]
    await asyncio.sleep(0)
    waiters[0].cancel()
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiters[1:])
    assert results == [7] * 49 and runs == 1
    assert len(flight) == 0
    # A later ask runs the work again (nothing is kept: that is the cache's job).
    assert await flight.run("k", work) == 7 and runs == 2


async def test_a_failing_run_fails_every_waiter_and_the_next_ask_tries_again() -> None:
    flight: SingleFlight[str, int] = SingleFlight()

    async def fail() -> int:
        await asyncio.sleep(0)
        raise OSError("origin gone")

    results = await asyncio.gather(
        *(flight.run("k", fail) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, OSError) for r in results)

    async def ok() -> int:
        return 1

    assert await flight.run("k", ok) == 1
    with pytest.raises(OSError):
        await flight.run("j", fail)


def test_a_playlist_is_kept_to_the_next_wall_clock_second() -> None:
    # The writer's next segment is listed just before each second turns.
    assert rest_of_second(1_700_000_012.25) == pytest.approx(0.75)
    assert rest_of_second(1_700_000_012.999) == pytest.approx(0.001, abs=1e-6)
    assert rest_of_second(1_700_000_013.0) == pytest.approx(1.0)
